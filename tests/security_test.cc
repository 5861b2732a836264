// security_test.cc: the coordinator's security over the wire, on REAL TLS with
// certificates made by `openssl` at test time (a CA, a server certificate for
// IP 127.0.0.1, client certificates): TLS-only and mTLS, bearer tokens
// (missing, unknown, wrong role), tenant scoping of every client RPC (another
// tenant's sweep is NOT_FOUND, lists are scoped), worker identity (forged
// CompleteJob / FailJob / Heartbeat are PERMISSION_DENIED and change
// nothing), lease ids, quotas, the audit log, reflection behind auth, the
// refusal to listen openly, and SIGHUP reload of the auth file in the real
// `ablate-coordinator` process with a real `ablate-test-worker` over mTLS.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ablate/v1/admin.grpc.pb.h"
#include "ablate/v1/coordinator.grpc.pb.h"
#include "ablate/v1/worker.grpc.pb.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/grpc_security.h"
#include "auth/token.h"
#include "coordinator/coordinator_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace ablate {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kAdmin[] = "admin-token-0123456789";
constexpr char kAlice[] = "alice-token-0123456789";   // team-a submitter
constexpr char kBob[] = "bob-token-0123456789";       // team-b submitter
constexpr char kViewerB[] = "viewer-b-token-012345";  // team-b viewer
constexpr char kWorker1[] = "worker-1-token-012345";  // ops worker
constexpr char kWorker2[] = "worker-2-token-012345";  // ops worker
constexpr char kQuota[] = "quota-token-0123456789";   // team-q submitter, 1 sweep

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

// Certificates for one test binary: made once, with the openssl CLI.
struct Certs {
  std::string dir;
  bool ok = false;
  std::string ca() const { return dir + "/ca.pem"; }
  std::string server_cert() const { return dir + "/server.pem"; }
  std::string server_key() const { return dir + "/server.key"; }
  std::string client_cert(int i) const { return absl::StrCat(dir, "/client", i, ".pem"); }
  std::string client_key(int i) const { return absl::StrCat(dir, "/client", i, ".key"); }
  std::string other_ca() const { return dir + "/other-ca.pem"; }
};

const Certs& TestCerts() {
  static Certs* certs = [] {
    auto* c = new Certs;
    c->dir = testing::MakeTempDir("security_certs");
    const std::string d = c->dir;
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::ofstream(d + "/san.ext") << "subjectAltName=IP:127.0.0.1\n";
    std::vector<std::string> cmds = {
        absl::StrCat("openssl req -x509 ", key, " -keyout ", d, "/ca.key -out ", d,
                     "/ca.pem -days 2 -subj /CN=ablate-test-ca"),
        absl::StrCat("openssl req -x509 ", key, " -keyout ", d, "/other-ca.key -out ", d,
                     "/other-ca.pem -days 2 -subj /CN=someone-else"),
        absl::StrCat("openssl req ", key, " -keyout ", d, "/server.key -out ", d, "/server.csr -subj /CN=127.0.0.1"),
        absl::StrCat("openssl x509 -req -in ", d, "/server.csr -CA ", d, "/ca.pem -CAkey ", d,
                     "/ca.key -CAcreateserial -out ", d, "/server.pem -days 2 -extfile ", d, "/san.ext"),
    };
    for (int i = 1; i <= 2; ++i) {
      cmds.push_back(absl::StrCat("openssl req ", key, " -keyout ", d, "/client", i, ".key -out ", d, "/client", i,
                                  ".csr -subj /CN=worker-", i));
      cmds.push_back(absl::StrCat("openssl x509 -req -in ", d, "/client", i, ".csr -CA ", d, "/ca.pem -CAkey ", d,
                                  "/ca.key -CAcreateserial -out ", d, "/client", i, ".pem -days 2"));
    }
    c->ok = true;
    for (const std::string& cmd : cmds) {
      if (std::system((cmd + " > " + d + "/openssl.log 2>&1").c_str()) != 0) c->ok = false;
    }
    return c;
  }();
  return *certs;
}

std::string AuthFile(const std::string& dir, const std::vector<std::string>& lines, const std::string& extra = "") {
  std::string text = "tokens:\n";
  for (const auto& l : lines) text += l;
  text += extra;
  const std::string path = dir + "/auth.yaml";
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

std::string TokenLine(const std::string& token, const std::string& tenant, const std::string& role,
                      const std::string& name) {
  return absl::StrCat("  - {sha256: ", auth::Sha256Hex(token), ", tenant: ", tenant, ", role: ", role, ", name: ", name,
                      "}\n");
}

v1::SweepSpec Spec(const std::string& name) {
  v1::SweepSpec s;
  s.set_name(name);
  v1::ModelSpec* m = s.add_models();
  m->set_name("q");
  m->set_path(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/qwen2.5-0.5b");
  v1::EvaluationSpec* e = s.add_evaluations();
  e->set_name("ppl");
  e->mutable_perplexity()->set_dataset("/data/wiki.test.raw");
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  return s;
}

// Stubs of all three services on one channel.
struct Client {
  std::unique_ptr<v1::Coordinator::Stub> coord;
  std::unique_ptr<v1::WorkerService::Stub> worker;
  std::unique_ptr<v1::Admin::Stub> admin;
  std::shared_ptr<grpc::Channel> channel;
};

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("openssl version > /dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl command is not installed (Debian package openssl)";
    }
    ASSERT_TRUE(TestCerts().ok) << "openssl failed; see " << TestCerts().dir << "/openssl.log";
    dir_ = testing::MakeTempDir("security_test");
    auth_file_ =
        AuthFile(dir_,
                 {TokenLine(kAdmin, "ops", "admin", "root"), TokenLine(kAlice, "team-a", "submitter", "alice"),
                  TokenLine(kBob, "team-b", "submitter", "bob"), TokenLine(kViewerB, "team-b", "viewer", "viewer-b"),
                  TokenLine(kWorker1, "ops", "worker", "w1"), TokenLine(kWorker2, "ops", "worker", "w2"),
                  TokenLine(kQuota, "team-q", "submitter", "q")},
                 "quotas:\n  team-q: {sweeps: 1}\n");
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  absl::Status Start(bool tls = true, bool mtls = false, bool auth = true) {
    coordinator::CoordinatorOptions o;
    o.db_path = dir_ + "/ablate.db";
    o.listen_address = "127.0.0.1:0";
    o.watch_interval_ms = 50;
    if (tls) {
      o.tls.cert_file = TestCerts().server_cert();
      o.tls.key_file = TestCerts().server_key();
      if (mtls) o.tls.client_ca_file = TestCerts().ca();
    }
    if (auth) o.auth_file = auth_file_;
    auto s = coordinator::CoordinatorServer::Start(o);
    if (!s.ok()) return s.status();
    server_ = std::move(s).value();
    return absl::OkStatus();
  }

  Client Connect(const std::string& token, bool tls = true, int client_cert = 0, const std::string& ca = "") {
    auth::ClientSecurityOptions o;
    o.token = token;
    if (tls) o.tls_ca_file = ca.empty() ? TestCerts().ca() : ca;
    if (client_cert > 0) {
      o.tls_cert_file = TestCerts().client_cert(client_cert);
      o.tls_key_file = TestCerts().client_key(client_cert);
    }
    absl::StatusOr<auth::ClientSecurity> sec = auth::LoadClientSecurity(o);
    EXPECT_TRUE(sec.ok()) << sec.status();
    Client c;
    c.channel = auth::MakeChannel(server_->address(), *sec);
    c.coord = v1::Coordinator::NewStub(c.channel);
    c.worker = v1::WorkerService::NewStub(c.channel);
    c.admin = v1::Admin::NewStub(c.channel);
    return c;
  }

  absl::StatusOr<int64_t> Submit(Client& c, const std::string& name) {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = Spec(name);
    v1::SubmitSweepResponse resp;
    grpc::Status s = c.coord->SubmitSweep(Ctx().get(), req, &resp);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return resp.sweep_id();
  }

  std::string Register(Client& c, const std::string& name) {
    v1::RegisterWorkerRequest req;
    req.set_name(name);
    req.add_devices()->set_name("cpu");
    v1::RegisterWorkerResponse resp;
    grpc::Status s = c.worker->RegisterWorker(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.worker_id();
  }

  std::string dir_;
  std::string auth_file_;
  std::unique_ptr<coordinator::CoordinatorServer> server_;
};

grpc::StatusCode ReflectionCode(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  void* tag = nullptr;
  bool ok = false;
  auto call = stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  const std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  const bool got_answer = ok;
  if (got_answer) ctx.TryCancel();
  grpc::Status st;
  call->Finish(&st, reinterpret_cast<void*>(4));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return got_answer ? grpc::StatusCode::OK : st.error_code();
}

// The status of a unary call of `method` with an empty request.
grpc::StatusCode UnaryCode(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  auto call = stub.PrepareUnaryCall(&ctx, method, request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status.error_code();
}

// Calls with different tokens on ONE connection each get their own caller.
// (gRPC hands every call of a connection the same AuthContext, so a caller
// attached there once was seen by the next call: Bob's sweep was stored as
// Alice's tenant when both used one channel.) Channels in one process can
// share a connection, and a gateway multiplexes its users over one.
TEST_F(SecurityTest, EachCallOnOneConnectionIsItsOwnCaller) {
  ASSERT_TRUE(Start().ok());
  Client shared = Connect("");  // TLS, no channel token: each call brings its own
  auto call = [&](const std::string& token) {
    auto ctx = Ctx();
    ctx->AddMetadata("authorization", std::string("Bearer ") + token);
    return ctx;
  };
  auto submit = [&](const std::string& token, const std::string& name) -> int64_t {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = Spec(name);
    v1::SubmitSweepResponse resp;
    grpc::Status s = shared.coord->SubmitSweep(call(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.sweep_id();
  };
  const int64_t a = submit(kAlice, "alice-sweep");
  const int64_t b = submit(kBob, "bob-sweep");
  for (const auto& [token, own, other] :
       std::vector<std::tuple<const char*, int64_t, int64_t>>{{kAlice, a, b}, {kBob, b, a}, {kAlice, a, b}}) {
    v1::ListSweepsResponse list;
    ASSERT_TRUE(shared.coord->ListSweeps(call(token).get(), v1::ListSweepsRequest(), &list).ok());
    ASSERT_EQ(list.sweeps_size(), 1) << token;
    EXPECT_EQ(list.sweeps(0).sweep_id(), own) << token;
    v1::GetSweepRequest get;
    get.set_sweep_id(other);
    v1::SweepInfo info;
    EXPECT_EQ(shared.coord->GetSweep(call(token).get(), get, &info).error_code(), grpc::StatusCode::NOT_FOUND) << token;
  }
  // A worker token after a submitter's on the same connection is a worker,
  // and a call with no token is refused even after authenticated ones.
  v1::RegisterWorkerRequest reg;
  reg.set_name("w");
  reg.add_devices()->set_name("cpu");
  v1::RegisterWorkerResponse resp;
  EXPECT_EQ(shared.worker->RegisterWorker(call(kAlice).get(), reg, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(shared.worker->RegisterWorker(call(kWorker1).get(), reg, &resp).ok());
  v1::ListSweepsResponse list;
  EXPECT_EQ(shared.coord->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // What the database holds: each sweep under its submitter's tenant.
  v1::ListSweepsResponse all;
  ASSERT_TRUE(shared.coord->ListSweeps(call(kAdmin).get(), v1::ListSweepsRequest(), &all).ok());
  ASSERT_EQ(all.sweeps_size(), 2);
}

TEST_F(SecurityTest, TlsServesOnlyClientsThatTrustItsCertificate) {
  ASSERT_TRUE(Start(/*tls=*/true).ok());
  Client good = Connect(kAlice);
  ASSERT_TRUE(Submit(good, "tls").ok());
  v1::ListSweepsResponse list;
  // Plain text to a TLS port, or a client trusting another CA: no connection.
  EXPECT_EQ(Connect(kAlice, /*tls=*/false).coord->ListSweeps(Ctx().get(), {}, &list).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Connect(kAlice, true, 0, TestCerts().other_ca()).coord->ListSweeps(Ctx().get(), {}, &list).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, MutualTlsRefusesClientsWithoutACertificate) {
  ASSERT_TRUE(Start(/*tls=*/true, /*mtls=*/true).ok());
  v1::ListSweepsResponse list;
  EXPECT_EQ(Connect(kAlice, true, 0).coord->ListSweeps(Ctx().get(), {}, &list).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Connect(kAlice, true, 1).coord->ListSweeps(Ctx().get(), {}, &list).ok());
}

TEST_F(SecurityTest, NoOrUnknownTokenIsUnauthenticatedOnEveryRpcIncludingReflection) {
  ASSERT_TRUE(Start().ok());
  for (const char* token : {"", "not-a-token"}) {
    SCOPED_TRACE(token);
    Client c = Connect(token);
    v1::SubmitSweepRequest submit;
    *submit.mutable_spec() = Spec("x");
    v1::SubmitSweepResponse sr;
    EXPECT_EQ(c.coord->SubmitSweep(Ctx().get(), submit, &sr).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::GetSweepRequest get;
    get.set_sweep_id(1);
    v1::SweepInfo info;
    EXPECT_EQ(c.coord->GetSweep(Ctx().get(), get, &info).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::ListSweepsResponse ls;
    EXPECT_EQ(c.coord->ListSweeps(Ctx().get(), {}, &ls).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::ListWorkersResponse lw;
    EXPECT_EQ(c.coord->ListWorkers(Ctx().get(), {}, &lw).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::WatchSweepRequest watch;
    watch.set_sweep_id(1);
    auto ctx = Ctx();
    auto reader = c.coord->WatchSweep(ctx.get(), watch);
    v1::SweepEvent ev;
    EXPECT_FALSE(reader->Read(&ev));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::RegisterWorkerResponse rr;
    EXPECT_EQ(c.worker->RegisterWorker(Ctx().get(), {}, &rr).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::ListAuditResponse ar;
    EXPECT_EQ(c.admin->ListAudit(Ctx().get(), {}, &ar).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(ReflectionCode(c.channel), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(ReflectionCode(Connect(kViewerB).channel), grpc::StatusCode::OK);
  // Unknown methods are authenticated too; health checks are the one exception
  // (this server has no health service: UNIMPLEMENTED, past the token check).
  Client anonymous = Connect("");
  EXPECT_EQ(UnaryCode(anonymous.channel, "/ablate.v1.Nope/Nothing"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(UnaryCode(anonymous.channel, "/grpc.health.v1.Health/Check"), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityTest, WrongRoleIsPermissionDenied) {
  ASSERT_TRUE(Start().ok());
  Client viewer = Connect(kViewerB), worker = Connect(kWorker1), bob = Connect(kBob);
  EXPECT_THAT(Submit(viewer, "v").status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Submit(worker, "w").status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  v1::ListSweepsResponse ls;
  EXPECT_EQ(worker.coord->ListSweeps(Ctx().get(), {}, &ls).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::RegisterWorkerResponse rr;
  EXPECT_EQ(bob.worker->RegisterWorker(Ctx().get(), {}, &rr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListAuditResponse ar;
  EXPECT_EQ(bob.admin->ListAudit(Ctx().get(), {}, &ar).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  absl::StatusOr<int64_t> sweep = Submit(bob, "b");
  ASSERT_TRUE(sweep.ok());
  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(*sweep);
  v1::CancelSweepResponse cr;
  EXPECT_EQ(viewer.coord->CancelSweep(Ctx().get(), cancel, &cr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetSweepRequest get;
  get.set_sweep_id(*sweep);
  v1::SweepInfo info;
  EXPECT_TRUE(viewer.coord->GetSweep(Ctx().get(), get, &info).ok());  // viewers read
}

TEST_F(SecurityTest, AnotherTenantsSweepIsNotFoundOnEveryRpcAndListsAreScoped) {
  ASSERT_TRUE(Start().ok());
  Client alice = Connect(kAlice), bob = Connect(kBob), admin = Connect(kAdmin);
  absl::StatusOr<int64_t> a = Submit(alice, "alice-sweep");
  absl::StatusOr<int64_t> b = Submit(bob, "bob-sweep");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string no_such = "no sweep 987654";
  const std::string foreign = absl::StrCat("no sweep ", *a);

  v1::GetSweepRequest get;
  get.set_sweep_id(*a);
  v1::SweepInfo info;
  grpc::Status s = bob.coord->GetSweep(Ctx().get(), get, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), foreign);
  get.set_sweep_id(987654);
  s = bob.coord->GetSweep(Ctx().get(), get, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), no_such);  // the same shape: existence is not leaked

  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(*a);
  v1::CancelSweepResponse cr;
  EXPECT_EQ(bob.coord->CancelSweep(Ctx().get(), cancel, &cr).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListJobsRequest lj;
  lj.set_sweep_id(*a);
  v1::ListJobsResponse ljr;
  EXPECT_EQ(bob.coord->ListJobs(Ctx().get(), lj, &ljr).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::QueryResultsRequest qr;
  qr.set_sweep_id(*a);
  v1::QueryResultsResponse qrr;
  EXPECT_EQ(bob.coord->QueryResults(Ctx().get(), qr, &qrr).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::WatchSweepRequest watch;
  watch.set_sweep_id(*a);
  auto ctx = Ctx();
  auto reader = bob.coord->WatchSweep(ctx.get(), watch);
  v1::SweepEvent ev;
  EXPECT_FALSE(reader->Read(&ev));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  // Alice's sweep is untouched and visible to her and the admin.
  get.set_sweep_id(*a);
  ASSERT_TRUE(alice.coord->GetSweep(Ctx().get(), get, &info).ok());
  EXPECT_EQ(info.state(), v1::SWEEP_RUNNING);
  EXPECT_EQ(info.counts().cancelled(), 0);

  v1::ListSweepsRequest all;
  all.set_include_finished(true);
  v1::ListSweepsResponse ls;
  ASSERT_TRUE(bob.coord->ListSweeps(Ctx().get(), all, &ls).ok());
  ASSERT_EQ(ls.sweeps_size(), 1);
  EXPECT_EQ(ls.sweeps(0).name(), "bob-sweep");
  ASSERT_TRUE(admin.coord->ListSweeps(Ctx().get(), all, &ls).ok());
  EXPECT_EQ(ls.sweeps_size(), 2);
  lj.set_sweep_id(0);
  lj.set_page_size(1000);
  ASSERT_TRUE(bob.coord->ListJobs(Ctx().get(), lj, &ljr).ok());
  ASSERT_GT(ljr.jobs_size(), 0);
  for (const auto& j : ljr.jobs()) EXPECT_EQ(j.sweep_id(), *b);

  // Workers: registered by ops; bob sees none of them, the admin sees them.
  Client w = Connect(kWorker1);
  Register(w, "gpu-node-7");
  v1::ListWorkersResponse lw;
  ASSERT_TRUE(bob.coord->ListWorkers(Ctx().get(), {}, &lw).ok());
  EXPECT_EQ(lw.workers_size(), 0);
  ASSERT_TRUE(admin.coord->ListWorkers(Ctx().get(), {}, &lw).ok());
  EXPECT_EQ(lw.workers_size(), 1);
}

TEST_F(SecurityTest, ForgedReportsFromAnotherWorkerAreRefusedAndChangeNothing) {
  ASSERT_TRUE(Start(/*tls=*/true, /*mtls=*/true).ok());
  // Both workers hold the SAME token but their own certificates.
  Client one = Connect(kWorker1, true, 1), two = Connect(kWorker1, true, 2);
  Client alice = Connect(kAlice, true, 1), admin = Connect(kAdmin, true, 1);
  absl::StatusOr<int64_t> sweep = Submit(alice, "a");
  ASSERT_TRUE(sweep.ok());
  const std::string w1 = Register(one, "one"), w2 = Register(two, "two");
  v1::LeaseJobsRequest lr;
  lr.set_worker_id(w1);
  lr.set_max_jobs(3);
  v1::LeaseJobsResponse leased;
  ASSERT_TRUE(one.worker->LeaseJobs(Ctx().get(), lr, &leased).ok());
  ASSERT_EQ(leased.leases_size(), 3);
  std::set<std::string> ids;
  for (const auto& l : leased.leases()) {
    EXPECT_EQ(l.lease_id().size(), 32u);  // 128 bits, hex
    EXPECT_EQ(l.lease_id().find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(l.lease_id());
  }
  EXPECT_EQ(ids.size(), 3u);
  const v1::Lease& l = leased.leases(0);

  for (const std::string& as : {w1, w2}) {
    SCOPED_TRACE(as);
    v1::CompleteJobRequest c;
    c.set_worker_id(as);
    c.set_job_id(l.job().job_id());
    c.set_lease_id(l.lease_id());
    c.set_attempt(l.attempt());
    v1::Metric* m = c.mutable_result()->add_metrics();
    m->set_name("perplexity");
    m->set_value(1.0);
    v1::CompleteJobResponse cr;
    EXPECT_EQ(two.worker->CompleteJob(Ctx().get(), c, &cr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    v1::FailJobRequest f;
    f.set_worker_id(as);
    f.set_job_id(l.job().job_id());
    f.set_lease_id(l.lease_id());
    f.set_attempt(l.attempt());
    f.set_error("forged");
    v1::FailJobResponse fr;
    EXPECT_EQ(two.worker->FailJob(Ctx().get(), f, &fr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    v1::HeartbeatRequest h;
    h.set_worker_id(as);
    h.add_leases()->set_job_id(l.job().job_id());
    h.mutable_leases(0)->set_lease_id(l.lease_id());
    v1::HeartbeatResponse hr;
    EXPECT_EQ(two.worker->Heartbeat(Ctx().get(), h, &hr).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // Nothing changed: the job is still leased to w1, attempts 0, no results.
  v1::ListJobsRequest lj;
  lj.set_sweep_id(*sweep);
  lj.set_page_size(1000);
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(admin.coord->ListJobs(Ctx().get(), lj, &jobs).ok());
  bool seen = false;
  for (const auto& j : jobs.jobs()) {
    if (j.job_id() != l.job().job_id()) continue;
    seen = true;
    EXPECT_EQ(j.state(), v1::LEASED);
    EXPECT_EQ(j.worker_id(), w1);
    EXPECT_EQ(j.attempts(), 0);
    EXPECT_EQ(j.last_error(), "");
  }
  EXPECT_TRUE(seen);
  v1::QueryResultsRequest q;
  q.set_sweep_id(*sweep);
  v1::QueryResultsResponse rows;
  ASSERT_TRUE(admin.coord->QueryResults(Ctx().get(), q, &rows).ok());
  EXPECT_EQ(rows.rows_size(), 0);
  // The real holder's report is accepted.
  v1::CompleteJobRequest c;
  c.set_worker_id(w1);
  c.set_job_id(l.job().job_id());
  c.set_lease_id(l.lease_id());
  c.set_attempt(l.attempt());
  v1::Metric* m = c.mutable_result()->add_metrics();
  m->set_name("perplexity");
  m->set_value(12.5);
  v1::CompleteJobResponse cr;
  ASSERT_TRUE(one.worker->CompleteJob(Ctx().get(), c, &cr).ok());
  EXPECT_TRUE(cr.accepted());
}

TEST_F(SecurityTest, QuotaExhaustionAndTheAuditLog) {
  ASSERT_TRUE(Start().ok());
  Client q = Connect(kQuota), admin = Connect(kAdmin), bad = Connect("stolen?");
  ASSERT_TRUE(Submit(q, "q1").ok());
  absl::StatusOr<int64_t> second = Submit(q, "q2");
  EXPECT_THAT(second.status(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota sweeps")));
  v1::ListSweepsResponse ls;
  EXPECT_EQ(bad.coord->ListSweeps(Ctx().get(), {}, &ls).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Audit rows are written asynchronously (group commit): poll briefly.
  std::set<std::string> seen;
  for (int i = 0; i < 50 && seen.size() < 3; ++i) {
    v1::ListAuditResponse ar;
    ASSERT_TRUE(admin.admin->ListAudit(Ctx().get(), {}, &ar).ok());
    seen.clear();
    for (const auto& e : ar.entries()) {
      if (e.rpc() == "SubmitSweep" && e.outcome() == "ok" && e.subject() == "token:q" && e.tenant() == "team-q" &&
          e.sweep_id() > 0) {
        seen.insert("submit");
      }
      if (e.outcome() == "quota:sweeps" && e.tenant() == "team-q") seen.insert("quota");
      if (e.outcome() == "unauthenticated" && e.subject().empty()) seen.insert("refused");
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"submit", "quota", "refused"}));
}

TEST_F(SecurityTest, AuthWithoutTlsServesLoopbackOnlyWithLocalCredentials) {
  ASSERT_TRUE(Start(/*tls=*/false).ok());
  Client alice = Connect(kAlice, /*tls=*/false);
  EXPECT_TRUE(Submit(alice, "local").ok());
  v1::ListSweepsResponse ls;
  EXPECT_EQ(Connect("", false).coord->ListSweeps(Ctx().get(), {}, &ls).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityTest, RefusesToListenOpenlyWithoutAuth) {
  coordinator::CoordinatorOptions o;
  o.db_path = dir_ + "/open.db";
  o.listen_address = "0.0.0.0:0";
  EXPECT_THAT(coordinator::CoordinatorServer::Start(o).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--insecure-allow-remote")));
  o.auth_file = auth_file_;  // auth but no TLS: tokens in clear text, refused too
  o.insecure_allow_remote = true;
  EXPECT_THAT(coordinator::CoordinatorServer::Start(o).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("TLS")));
}

// Runs a shell command; returns (exit code, stdout + stderr).
std::pair<int, std::string> Shell(const std::string& cmd) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int status = pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(SecurityTest, AblateTokenNewAndAblateAudit) {
  const std::string ablate = std::string(ABLATE_BINARY_DIR) + "/cli/ablate";
  if (!std::filesystem::exists(ablate)) GTEST_SKIP() << "the ablate binary is not built";
  auto [code, out] = Shell(ablate + " token new --tenant team-z --role viewer --name zed 2>/dev/null");
  ASSERT_EQ(code, 0) << out;
  const std::string token = out.substr(0, out.find('\n'));
  ASSERT_EQ(token.size(), 64u) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("- {sha256: ", auth::Sha256Hex(token),
                                          ", tenant: team-z, role: viewer, name: zed}")));
  EXPECT_NE(Shell(ablate + " token new --tenant a --role root").first, 0);

  ASSERT_TRUE(Start().ok());
  Client alice = Connect(kAlice);
  ASSERT_TRUE(Submit(alice, "audited").ok());
  const std::string flags =
      absl::StrCat(" audit --coordinator ", server_->address(), " --tls-ca ", TestCerts().ca(), " --format json");
  Client admin = Connect(kAdmin);
  for (int i = 0; i < 100; ++i) {  // the row is committed asynchronously
    v1::ListAuditResponse ar;
    ASSERT_TRUE(admin.admin->ListAudit(Ctx().get(), {}, &ar).ok());
    if (ar.entries_size() > 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::pair<int, std::string> audit = Shell(absl::StrCat("ABLATE_TOKEN=", kAdmin, " ", ablate, flags));
  EXPECT_EQ(audit.first, 0) << audit.second;
  EXPECT_THAT(audit.second, HasSubstr("\"rpc\": \"SubmitSweep\""));
  EXPECT_THAT(audit.second, HasSubstr("\"subject\": \"token:alice\""));
  auto denied = Shell(absl::StrCat("ABLATE_TOKEN=", kAlice, " ", ablate, flags));
  EXPECT_EQ(denied.first, 1);
  EXPECT_THAT(denied.second, HasSubstr("may not call admin methods"));
  // The sweep commands take the same flags: status with a token file.
  const std::string token_file = dir_ + "/alice.token";
  std::ofstream(token_file) << kAlice << "\n";
  auto status = Shell(absl::StrCat(ablate, " status --coordinator ", server_->address(), " --tls-ca ", TestCerts().ca(),
                                   " --token-file ", token_file));
  EXPECT_EQ(status.first, 0) << status.second;
  EXPECT_THAT(status.second, HasSubstr("audited"));
}

// The real binaries: SIGHUP swaps the auth file (a bad one keeps the old),
// and a real worker process connects over mTLS with a token file.
TEST_F(SecurityTest, SighupReloadsTheAuthFileInTheRunningCoordinator) {
  const std::string bin = ABLATE_BINARY_DIR;
  const int port = testing::PickFreePort();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto coord =
      testing::Subprocess::Start({bin + "/coordinator/ablate-coordinator", "--db", dir_ + "/proc.db", "--listen",
                                  address, "--auth-file", auth_file_, "--tls-cert", TestCerts().server_cert(),
                                  "--tls-key", TestCerts().server_key(), "--tls-client-ca", TestCerts().ca()},
                                 dir_ + "/coordinator.log");
  ASSERT_TRUE(coord.ok()) << coord.status();
  auto connect = [&](const std::string& token) {
    auth::ClientSecurityOptions o;
    o.token = token;
    o.tls_ca_file = TestCerts().ca();
    o.tls_cert_file = TestCerts().client_cert(1);
    o.tls_key_file = TestCerts().client_key(1);
    return v1::Coordinator::NewStub(auth::MakeChannel(address, *auth::LoadClientSecurity(o)));
  };
  auto code_of = [&](const std::string& token) {
    v1::ListSweepsResponse ls;
    return connect(token)->ListSweeps(Ctx().get(), {}, &ls).error_code();
  };
  grpc::StatusCode first = grpc::StatusCode::UNAVAILABLE;
  for (int i = 0; i < 100 && first == grpc::StatusCode::UNAVAILABLE; ++i) {
    first = code_of(kAlice);
    if (first == grpc::StatusCode::UNAVAILABLE) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(first, grpc::StatusCode::OK) << (*coord)->Log();

  // A worker process over mTLS with a token file runs a sweep.
  const std::string token_file = dir_ + "/worker.token";
  std::ofstream(token_file) << kWorker1 << "\n";
  auto worker = testing::Subprocess::Start(
      {bin + "/tests/ablate-test-worker", "--coordinator", address, "--tls-ca", TestCerts().ca(), "--tls-cert",
       TestCerts().client_cert(2), "--tls-key", TestCerts().client_key(2), "--token-file", token_file, "--heartbeat-ms",
       "100", "--lease-wait-ms", "200"},
      dir_ + "/worker.log");
  ASSERT_TRUE(worker.ok()) << worker.status();
  {
    auto alice = connect(kAlice);
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = Spec("via-worker");
    v1::SubmitSweepResponse resp;
    ASSERT_TRUE(alice->SubmitSweep(Ctx().get(), req, &resp).ok());
    v1::GetSweepRequest get;
    get.set_sweep_id(resp.sweep_id());
    v1::SweepInfo info;
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(alice->GetSweep(Ctx().get(), get, &info).ok());
      if (info.state() != v1::SWEEP_RUNNING) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(info.state(), v1::SWEEP_DONE) << (*worker)->Log();
    EXPECT_EQ(info.counts().succeeded(), info.counts().total());
  }

  // Replace alice by carol, SIGHUP: alice is refused, carol served.
  const char kCarol[] = "carol-token-0123456789";
  AuthFile(dir_, {TokenLine(kCarol, "team-c", "viewer", "carol")});
  (*coord)->Signal(SIGHUP);
  grpc::StatusCode alice_code = grpc::StatusCode::OK;
  for (int i = 0; i < 100 && alice_code == grpc::StatusCode::OK; ++i) {
    alice_code = code_of(kAlice);
    if (alice_code == grpc::StatusCode::OK) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(alice_code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code_of(kCarol), grpc::StatusCode::OK);

  // A broken file: the old one stays in force, and the log says so.
  std::ofstream(auth_file_, std::ios::trunc) << "tokens: [ {sha256: broken\n";
  (*coord)->Signal(SIGHUP);
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    logged = (*coord)->Log().find("NOT reloaded") != std::string::npos;
    if (!logged) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(logged) << (*coord)->Log();
  EXPECT_EQ(code_of(kCarol), grpc::StatusCode::OK);
  EXPECT_EQ(code_of(kAlice), grpc::StatusCode::UNAUTHENTICATED);
  (*worker)->Signal(SIGTERM);
  (*worker)->Wait(absl::Seconds(10));
  (*coord)->Signal(SIGTERM);
  EXPECT_EQ((*coord)->Wait(absl::Seconds(15)), 0);
}

}  // namespace
}  // namespace ablate
