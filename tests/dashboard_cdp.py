#!/usr/bin/python3
# dashboard_cdp.py: TEST ONLY. Opens a coordinator dashboard page in headless
# Chromium, driven over the DevTools protocol (python3-websocket), and checks
# that it updates without a reload: reads the element `--element`'s text
# after the page first shows a value, then waits (same page load, proven by a
# marker set on `window`) until the number increases, and with --marks N
# until the figures show N elements matching --mark-selector (the report's
# figures drawing as results land, within the page's CSP). Fails on any console
# error, uncaught exception or failed request. Chromium runs with a temporary
# profile and is stopped by PID.
#
#   dashboard_cdp.py --chromium /usr/bin/chromium --url http://127.0.0.1:8080/sweeps/1 \
#       --element done-count --timeout 30
# Prints one JSON line: {"first": 3, "last": 9, "marks": 0, "same_page": true, "errors": []}.
# Exit 0: increased, same page, no errors. 1: a check failed. 77: cannot run here.
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websocket  # Debian python3-websocket
except ImportError:
    print("SKIP: python3-websocket is not installed", file=sys.stderr)
    sys.exit(77)


class Cdp:
    """A minimal DevTools protocol client: numbered commands, queued events."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=10, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r.get("result", {}).get("value")


def console_errors(events):
    errors = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console.error: " + json.dumps(p.get("args", []))[:500])
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errors.append("log: " + p["entry"].get("text", "")[:500])
        elif m == "Network.loadingFailed":
            errors.append("request failed: " + p.get("errorText", ""))
        elif m == "Network.responseReceived" and p.get("response", {}).get("status", 200) >= 400:
            errors.append(f"HTTP {p['response']['status']}: {p['response'].get('url', '')}")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--url", required=True)
    ap.add_argument("--element", default="done-count")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--marks", type=int, default=0, help="wait for this many figure marks")
    ap.add_argument("--mark-selector", default="#figures [data-mark]")
    ap.add_argument("--token-file", help="sign in with this bearer token when the page asks for one")
    args = ap.parse_args()
    if not shutil.which(args.chromium):
        print(f"SKIP: {args.chromium} not found", file=sys.stderr)
        return 77

    profile = tempfile.mkdtemp(prefix="ablate-cdp-")
    proc = subprocess.Popen(
        [args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "--remote-debugging-address=127.0.0.1", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Chromium writes the port it chose into the profile.
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or proc.poll() is not None:
                print("chromium did not start: " + proc.stderr.read(4000).decode(errors="replace")
                      if proc.poll() is not None else "chromium did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t.get("type") == "page")
        cdp = Cdp(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page", "Network"):
            cdp.call(domain + ".enable")
        cdp.call("Page.navigate", url=args.url)

        asked_for_token = False
        if args.token_file:
            # The page must ask (401 from the API), then work with the token typed in.
            token = open(args.token_file).read().strip()
            deadline = time.time() + args.timeout
            while time.time() < deadline and not cdp.evaluate(
                    "(() => { const b = document.getElementById('token-box'); return !!b && !b.hidden; })()"):
                time.sleep(0.1)
            asked_for_token = bool(cdp.evaluate("!document.getElementById('token-box').hidden"))
            if not asked_for_token:
                print(json.dumps({"error": "the page never asked for a token",
                                  "errors": console_errors(cdp.events)}))
                return 1
            cdp.evaluate(f"document.getElementById('token-input').value = {json.dumps(token)}; "
                         "document.getElementById('token-save').click(); true")
            while time.time() < deadline and not cdp.evaluate(
                    "document.getElementById('status').textContent.startsWith('updated')"):
                time.sleep(0.1)
            cdp.events = []  # the 401s before signing in were expected

        read = f"(() => {{ const e = document.getElementById({json.dumps(args.element)}); " \
               f"return e ? e.textContent : null; }})()"
        deadline = time.time() + args.timeout
        first = None
        while time.time() < deadline:
            text = cdp.evaluate(read)
            if text is not None and text.strip().isdigit() and \
                    cdp.evaluate("document.getElementById('status').textContent.startsWith('updated')"):
                first = int(text)
                break
            time.sleep(0.1)
        if first is None:
            print(json.dumps({"error": "the page never showed a value", "errors": console_errors(cdp.events)}))
            return 1
        cdp.evaluate("window.__ablateMarker = 'same-load'; true")
        last = first
        while time.time() < deadline and last <= first:
            time.sleep(0.2)
            text = cdp.evaluate(read)
            if text is not None and text.strip().isdigit():
                last = int(text)
        count = f"document.querySelectorAll({json.dumps(args.mark_selector)}).length"
        marks = cdp.evaluate(count)
        while args.marks > 0 and time.time() < deadline and marks < args.marks:
            time.sleep(0.2)
            marks = cdp.evaluate(count)
        same_page = cdp.evaluate("window.__ablateMarker === 'same-load'")
        time.sleep(0.5)  # let in-flight requests report
        cdp.evaluate("1")
        errors = console_errors(cdp.events)
        print(json.dumps({"first": first, "last": last, "marks": marks, "same_page": same_page,
                          "asked_for_token": asked_for_token, "errors": errors}))
        return 0 if last > first and marks >= args.marks and same_page and not errors else 1
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
