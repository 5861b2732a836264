// sweep_client.cc: see sweep_client.h.
#include "cli/sweep_client.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/request_limits.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "rpc/grpc_status.h"

namespace ablate::cli {
namespace {
std::string NewRequestId();
}  // namespace

SweepClient::SweepClient(const std::string& address, absl::Duration timeout)
    : SweepClient(address, auth::ClientSecurity{}, timeout) {}

SweepClient::SweepClient(const std::string& address, const auth::ClientSecurity& security, absl::Duration timeout)
    : address_(address), timeout_(timeout) {
  // Every legal reply fits: list replies are paged at the coordinator's
  // --max-reply-bytes (16 MB by default), far below this.
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kClientMaxReceiveBytes);
  stub_ = v1::Coordinator::NewStub(auth::MakeChannel(address, security, args));
}

absl::StatusOr<std::unique_ptr<SweepClient>> SweepClient::Connect(const std::string& address,
                                                                  const auth::ClientSecurityOptions& options) {
  absl::StatusOr<auth::ClientSecurity> security = auth::LoadClientSecurity(options);
  if (!security.ok()) return security.status();
  return std::make_unique<SweepClient>(address, *security);
}

namespace {
// 128 random bits, hex: SubmitSweepRequest.request_id.
std::string NewRequestId() {
  absl::BitGen gen;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen));
}
}  // namespace

std::unique_ptr<grpc::ClientContext> SweepClient::Ctx(absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

namespace {
// "600 s", "0.25 s".
std::string Seconds(absl::Duration d) { return absl::StrFormat("%g s", absl::ToDoubleSeconds(d)); }
}  // namespace

absl::Status SweepClient::Translate(const grpc::Status& s, const char* call, absl::Duration timeout) const {
  const absl::Status status = rpc::FromGrpcStatus(s);
  if (status.ok()) return status;
  const absl::StatusCode code = status.code();
  if (code == absl::StatusCode::kDeadlineExceeded &&
      (s.error_message().empty() || s.error_message() == "Deadline Exceeded")) {
    // gRPC's own deadline (the coordinator's expansion timeout has its own
    // message): it was reachable, or at least not refused, but slower than us.
    return absl::DeadlineExceededError(
        absl::StrCat("the coordinator at ", address_, " did not answer ", call, " within ", Seconds(timeout)));
  }
  if (code == absl::StatusCode::kUnavailable) {
    return absl::Status(code,
                        absl::StrCat("cannot reach the coordinator at ", address_, " (", call, ": ", s.error_message(),
                                     "); is it running? set --coordinator or ABLATE_COORDINATOR"));
  }
  if (s.error_message().empty()) {
    // gRPC answers some refusals (a request it could not parse) without a message.
    return absl::Status(
        code, absl::StrCat(call, ": the coordinator at ", address_, " answered ", absl::StatusCodeToString(code),
                           " without a message (a malformed request, or a client "
                           "and coordinator of different versions?)"));
  }
  return status;
}

absl::StatusOr<v1::SubmitSweepResponse> SweepClient::Submit(const v1::SubmitSweepRequest& request,
                                                            absl::Duration timeout) {
  v1::SubmitSweepRequest req = request;
  // One id per invocation, reused by the retries below: a retry after a lost
  // answer returns the sweep the first attempt stored instead of a second one.
  if (req.request_id().empty()) req.set_request_id(NewRequestId());
  constexpr int kAttempts = 3;
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(500 * attempt));
    v1::SubmitSweepResponse resp;
    const absl::Time deadline = absl::Now() + timeout;
    auto ctx = Ctx(timeout);
    const grpc::Status s = stub_->SubmitSweep(ctx.get(), req, &resp);
    if (s.ok()) return resp;
    last = Translate(s, "SubmitSweep", timeout);
    // Our deadline (not the coordinator's expansion timeout, which stores nothing).
    const bool ours = s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && absl::Now() >= deadline;
    if (ours && !req.dry_run()) {
      // Waited the whole deadline: the coordinator may still store the sweep
      // (or have stored it). No blind retry here; say how to find out.
      return absl::DeadlineExceededError(
          absl::StrCat(last.message(),
                       "; the sweep may have been accepted: run `ablate status` to see, and "
                       "retry with --request-id ",
                       req.request_id(),
                       " (a stored request returns its sweep "
                       "instead of a second one) or a longer --timeout-s"));
    }
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  return last;
}

absl::StatusOr<v1::SweepInfo> SweepClient::GetSweep(int64_t sweep_id) {
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::SweepInfo resp;
  auto ctx = Ctx();
  if (absl::Status s = Translate(stub_->GetSweep(ctx.get(), req, &resp), "GetSweep"); !s.ok()) return s;
  return resp;
}

absl::StatusOr<std::vector<v1::SweepInfo>> SweepClient::ListSweeps(bool include_finished) {
  std::vector<v1::SweepInfo> out;
  int64_t after = 0;
  while (true) {
    v1::ListSweepsRequest req;
    req.set_include_finished(include_finished);
    req.set_page_size(100);
    req.set_after_sweep_id(after);
    v1::ListSweepsResponse resp;
    auto ctx = Ctx();
    if (absl::Status s = Translate(stub_->ListSweeps(ctx.get(), req, &resp), "ListSweeps"); !s.ok()) {
      return s;
    }
    out.insert(out.end(), resp.sweeps().begin(), resp.sweeps().end());
    if (resp.next_after_sweep_id() == 0 || resp.next_after_sweep_id() == after) break;
    after = resp.next_after_sweep_id();
  }
  return out;
}

absl::StatusOr<int64_t> SweepClient::Cancel(int64_t sweep_id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::CancelSweepResponse resp;
  auto ctx = Ctx();
  if (absl::Status s = Translate(stub_->CancelSweep(ctx.get(), req, &resp), "CancelSweep"); !s.ok()) {
    return s;
  }
  return resp.cancelled_jobs();
}

absl::StatusOr<std::vector<v1::Job>> SweepClient::ListJobs(int64_t sweep_id, v1::JobState state) {
  std::vector<v1::Job> out;
  int64_t after = 0;
  while (true) {
    v1::ListJobsRequest req;
    req.set_sweep_id(sweep_id);
    req.set_state(state);
    req.set_page_size(1000);
    req.set_after_job_id(after);
    v1::ListJobsResponse resp;
    auto ctx = Ctx();
    if (absl::Status s = Translate(stub_->ListJobs(ctx.get(), req, &resp), "ListJobs"); !s.ok()) {
      return s;
    }
    out.insert(out.end(), resp.jobs().begin(), resp.jobs().end());
    if (resp.next_after_job_id() == 0 || resp.next_after_job_id() == after) break;
    after = resp.next_after_job_id();
  }
  return out;
}

absl::StatusOr<std::vector<v1::ResultRow>> SweepClient::QueryResults(const v1::QueryResultsRequest& filter) {
  std::vector<v1::ResultRow> out;
  int64_t after = 0;
  while (true) {
    v1::QueryResultsRequest req = filter;
    req.set_page_size(1000);
    req.set_after_result_id(after);
    v1::QueryResultsResponse resp;
    auto ctx = Ctx();
    if (absl::Status s = Translate(stub_->QueryResults(ctx.get(), req, &resp), "QueryResults"); !s.ok()) {
      return s;
    }
    out.insert(out.end(), resp.rows().begin(), resp.rows().end());
    if (resp.next_after_result_id() == 0 || resp.next_after_result_id() == after) break;
    after = resp.next_after_result_id();
  }
  return out;
}

absl::StatusOr<std::vector<v1::WorkerStatus>> SweepClient::ListWorkers() {
  v1::ListWorkersResponse resp;
  auto ctx = Ctx();
  if (absl::Status s = Translate(stub_->ListWorkers(ctx.get(), v1::ListWorkersRequest(), &resp), "ListWorkers");
      !s.ok()) {
    return s;
  }
  return std::vector<v1::WorkerStatus>(resp.workers().begin(), resp.workers().end());
}

absl::Status SweepClient::Watch(int64_t sweep_id, const std::function<bool(const v1::SweepEvent&)>& on_event) {
  grpc::ClientContext ctx;
  // A stream may legitimately last for days; the deadline only bounds a hang.
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Hours(24 * 7)));
  v1::WatchSweepRequest req;
  req.set_sweep_id(sweep_id);
  std::unique_ptr<grpc::ClientReader<v1::SweepEvent>> reader = stub_->WatchSweep(&ctx, req);
  v1::SweepEvent event;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      ctx.TryCancel();
      reader->Finish();
      return absl::OkStatus();
    }
  }
  return Translate(reader->Finish(), "WatchSweep");
}

}  // namespace ablate::cli
