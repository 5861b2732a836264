#!/usr/bin/python3
"""security_client_test.py: a NON-C++ client of the coordinator, as an outside
team would write it: Python stubs generated from proto/ at test time with
grpc_tools (Debian python3-grpc-tools), python3-grpcio, TLS with a CA made by
the openssl CLI, and a bearer token. Submits a small sweep and reads it back;
a wrong token gets UNAUTHENTICATED; another tenant's sweep is NOT_FOUND.

Exit 77 (CTest: skipped) when python3-grpcio, python3-grpc-tools or openssl
is missing. Starts the real ablate-coordinator on 127.0.0.1 and stops it by PID.

  /usr/bin/python3 tests/python/security_client_test.py \
      --coordinator build/coordinator/ablate-coordinator --proto-dir proto \
      --model spec/testdata/qwen2.5-0.5b
"""
import argparse
import glob
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run(["openssl", "req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=python-test-ca"], d)
    run(["openssl", "req", *key, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1"], d)
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"], d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coordinator", required=True)
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    try:
        import grpc  # noqa: F401
        import grpc_tools.protoc  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (install python3-grpcio python3-grpc-tools)")
        return SKIP
    if shutil.which("openssl") is None:
        print("SKIP: the openssl command is missing")
        return SKIP
    import grpc
    from grpc_tools import protoc

    tmp = tempfile.mkdtemp(prefix="ablate_python_client_")
    coord = None
    ok = False
    try:
        # 1. Stubs from proto/, at test time.
        out = os.path.join(tmp, "stubs")
        os.makedirs(out)
        protos = sorted(glob.glob(os.path.join(args.proto_dir, "ablate", "v1", "*.proto")))
        rc = protoc.main(["protoc", f"-I{args.proto_dir}", f"--python_out={out}",
                          f"--grpc_python_out={out}", *protos])
        assert rc == 0, f"grpc_tools.protoc failed ({rc})"
        sys.path.insert(0, out)
        from ablate.v1 import coordinator_pb2, coordinator_pb2_grpc, spec_pb2  # noqa: F401

        # 2. Certificates, tokens, the coordinator with TLS and an auth file.
        make_certs(tmp)
        token_a = secrets.token_hex(32)
        token_b = secrets.token_hex(32)
        auth = os.path.join(tmp, "auth.yaml")
        with open(auth, "w") as f:
            f.write("tokens:\n")
            for tok, tenant in ((token_a, "team-a"), (token_b, "team-b")):
                digest = hashlib.sha256(tok.encode()).hexdigest()
                f.write(f"  - {{sha256: {digest}, tenant: {tenant}, role: submitter}}\n")
        address = f"127.0.0.1:{free_port()}"
        log = open(os.path.join(tmp, "coordinator.log"), "w")
        coord = subprocess.Popen(
            [args.coordinator, "--db", os.path.join(tmp, "ablate.db"), "--listen", address,
             "--auth-file", auth, "--tls-cert", os.path.join(tmp, "server.pem"),
             "--tls-key", os.path.join(tmp, "server.key"), "--grace-s", "1"],
            stdout=log, stderr=subprocess.STDOUT)

        with open(os.path.join(tmp, "ca.pem"), "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())

        def stub(token):
            channel = grpc.secure_channel(address, creds)
            return coordinator_pb2_grpc.CoordinatorStub(channel), [("authorization", f"Bearer {token}")]

        deadline = time.time() + 20
        while "listening on" not in open(os.path.join(tmp, "coordinator.log")).read():
            assert coord.poll() is None, "the coordinator exited"
            assert time.time() < deadline, "the coordinator did not start"
            time.sleep(0.05)
        a, meta_a = stub(token_a)
        a.ListSweeps(coordinator_pb2.ListSweepsRequest(), metadata=meta_a, timeout=10,
                     wait_for_ready=True)

        # 3. Submit a small sweep and read it back.
        req = coordinator_pb2.SubmitSweepRequest()
        req.spec.name = "from-python"
        m = req.spec.models.add()
        m.name = "q"
        m.path = os.path.abspath(args.model)
        ev = req.spec.evaluations.add()
        ev.name = "ppl"
        ev.perplexity.dataset = "/data/wiki.test.raw"
        req.spec.ablations.add().baseline.SetInParent()
        resp = a.SubmitSweep(req, metadata=meta_a, timeout=30)
        assert resp.sweep_id > 0 and resp.job_count == 1, resp
        info = a.GetSweep(coordinator_pb2.GetSweepRequest(sweep_id=resp.sweep_id),
                          metadata=meta_a, timeout=10)
        assert info.name == "from-python", info
        assert info.counts.total == 1, info
        listed = a.ListSweeps(coordinator_pb2.ListSweepsRequest(include_finished=True),
                              metadata=meta_a, timeout=10)
        assert [s.sweep_id for s in listed.sweeps] == [resp.sweep_id], listed

        # 4. A wrong token: UNAUTHENTICATED. Another tenant: NOT_FOUND.
        bad, meta_bad = stub(secrets.token_hex(32))
        try:
            bad.GetSweep(coordinator_pb2.GetSweepRequest(sweep_id=resp.sweep_id),
                         metadata=meta_bad, timeout=10)
            raise AssertionError("a wrong token was accepted")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
        b, meta_b = stub(token_b)
        try:
            b.GetSweep(coordinator_pb2.GetSweepRequest(sweep_id=resp.sweep_id),
                       metadata=meta_b, timeout=10)
            raise AssertionError("another tenant's sweep was visible")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND, e
        ok = True
        print(f"OK: python client over TLS submitted sweep {resp.sweep_id} and read it back; "
              "wrong token UNAUTHENTICATED; other tenant NOT_FOUND")
        return 0
    finally:
        if not ok and os.path.exists(os.path.join(tmp, "coordinator.log")):
            with open(os.path.join(tmp, "coordinator.log")) as f:
                print("coordinator log:\n" + f.read())
        if coord is not None:
            coord.send_signal(signal.SIGTERM)
            try:
                coord.wait(timeout=15)
            except subprocess.TimeoutExpired:
                coord.kill()
                coord.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
