// e2e_cluster.cc: see e2e_cluster.h. TEST ONLY.
#include "tests/e2e_cluster.h"

#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"

#ifndef ABLATE_BINARY_DIR
#error "ABLATE_BINARY_DIR must be defined (ablate_test does)"
#endif

namespace ablate::testing {
namespace {

constexpr char kQwen2Config[] = R"({
  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
  "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
  "num_key_value_heads": 2, "num_hidden_layers": 24, "vocab_size": 256,
  "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true
})";

std::string Bin(const std::string& rel) { return absl::StrCat(ABLATE_BINARY_DIR, "/", rel); }

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

v1::EvaluationSpec Perplexity(const std::string& name, const std::string& dataset) {
  v1::EvaluationSpec e;
  e.set_name(name);
  e.mutable_perplexity()->set_dataset(dataset);
  e.mutable_perplexity()->set_protocol(v1::ROLLING);
  e.mutable_perplexity()->set_max_length(64);
  return e;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

E2eCluster::E2eCluster(const std::string& name) {
  dir_ = MakeTempDir(absl::StrCat("ablate-e2e-", name));
  db_path_ = dir_ + "/ablate.db";
  model_dir_ = dir_ + "/qwen2-24";
  std::filesystem::create_directories(model_dir_);
  WriteFile(model_dir_ + "/config.json", kQwen2Config);
  dataset_ = dir_ + "/text.raw";
  WriteFile(dataset_, "the quick brown fox jumps over the lazy dog\n");
  port_ = PickFreePort();
  Connect();
}

E2eCluster::~E2eCluster() {
  workers_.clear();  // SIGKILL + reap what is left
  coordinator_.reset();
  // Logs and DB stay for inspection when the test failed or ABLATE_E2E_KEEP is set.
  if (!::testing::Test::HasFailure() && std::getenv("ABLATE_E2E_KEEP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string E2eCluster::address() const { return absl::StrCat("127.0.0.1:", port_); }

void E2eCluster::Connect() {
  // Short reconnect backoff: the coordinator starts (and restarts) under the test's eyes.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  auto channel = grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
  client_ = v1::Coordinator::NewStub(channel);
  worker_api_ = v1::WorkerService::NewStub(channel);
}

absl::Status E2eCluster::StartCoordinator(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {Bin("coordinator/ablate-coordinator"),
                                   "--db",
                                   db_path_,
                                   "--listen",
                                   address(),
                                   "--heartbeat-interval-ms",
                                   "100",
                                   "--worker-timeout-ms",
                                   "1500",
                                   "--expiry-scan-interval-ms",
                                   "100",
                                   "--max-long-poll-ms",
                                   "500"};
  // Workers here heartbeat every 100 ms: a short re-claim hold after restarts
  // keeps crash tests quick (a test may pass its own).
  if (std::find(extra.begin(), extra.end(), "--reclaim-grace-ms") == extra.end()) {
    argv.insert(argv.end(), {"--reclaim-grace-ms", "2000"});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = Subprocess::Start(argv, absl::StrCat(dir_, "/coordinator-", ++coordinator_starts_, ".log"));
  if (!p.ok()) return p.status();
  coordinator_ = *std::move(p);
  // Ready when it answers a cheap call.
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (absl::Now() < until) {
    if (!coordinator_->Running()) {
      return absl::InternalError(absl::StrCat("coordinator exited: ", coordinator_->Log()));
    }
    v1::ListSweepsResponse resp;
    // A fresh channel each time: a channel that saw "connection refused" may sit
    // in reconnect backoff for seconds after the server is up.
    Connect();
    auto ctx = Ctx(absl::Milliseconds(500));
    // With --auth-file an anonymous call is refused, which also means "up".
    const grpc::Status st = client_->ListSweeps(ctx.get(), v1::ListSweepsRequest(), &resp);
    if (st.ok() || st.error_code() == grpc::StatusCode::UNAUTHENTICATED) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("coordinator not ready: ", coordinator_->Log()));
}

void E2eCluster::StopCoordinator(int sig) {
  if (!coordinator_) return;
  coordinator_->Signal(sig);
  coordinator_->Wait(absl::Seconds(20));
}

absl::StatusOr<Subprocess*> E2eCluster::StartWorker(const std::vector<std::string>& extra) {
  const int n = static_cast<int>(workers_.size()) + 1;
  std::vector<std::string> argv = {Bin("tests/ablate-test-worker"),
                                   "--coordinator",
                                   address(),
                                   "--name",
                                   absl::StrCat("e2e-worker-", n),
                                   "--heartbeat-ms",
                                   "100",
                                   "--lease-wait-ms",
                                   "500",
                                   "--rpc-timeout-ms",
                                   "3000",
                                   "--backoff-max-ms",
                                   "300",
                                   "--report-retry-ms",
                                   "30000"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = Subprocess::Start(argv, absl::StrCat(dir_, "/worker-", n, ".log"));
  if (!p.ok()) return p.status();
  workers_.push_back(*std::move(p));
  return workers_.back().get();
}

v1::SweepSpec E2eCluster::Spec500(int lease_ttl_seconds) const {
  v1::SweepSpec s;
  s.set_name("e2e-500");
  v1::ModelSpec* m = s.add_models();
  m->set_name("q24");
  m->set_path(model_dir_);
  *s.add_evaluations() = Perplexity("ppl-a", dataset_);
  *s.add_evaluations() = Perplexity("ppl-b", dataset_);
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::MLP);
  v1::AblationSpec* layers = s.add_ablations();
  layers->set_mode(v1::SKIP_LAYER);
  layers->mutable_layer_sweep()->set_component(v1::LAYER);
  v1::AblationSpec* random = s.add_ablations();
  random->set_mode(v1::SKIP_LAYER);
  random->mutable_random()->set_count(2);
  random->mutable_random()->set_pool(v1::LAYERS);
  random->mutable_random()->set_trials(52);
  random->mutable_random()->set_seed(7);
  s.add_seeds(0);
  s.add_seeds(1);
  s.mutable_execution()->set_max_attempts(2);
  s.mutable_execution()->set_lease_ttl_seconds(lease_ttl_seconds);
  return s;
}

v1::SweepSpec E2eCluster::SmallSpec(const std::vector<std::string>& evaluations, int lease_ttl_seconds) const {
  v1::SweepSpec s;
  s.set_name("e2e-small");
  v1::ModelSpec* m = s.add_models();
  m->set_name("q24");
  m->set_path(model_dir_);
  for (const auto& e : evaluations) *s.add_evaluations() = Perplexity(e, dataset_);
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  s.add_seeds(0);
  s.mutable_execution()->set_max_attempts(2);
  s.mutable_execution()->set_lease_ttl_seconds(lease_ttl_seconds);
  return s;
}

absl::StatusOr<int64_t> E2eCluster::Submit(const v1::SweepSpec& spec) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = spec;
  v1::SubmitSweepResponse resp;
  auto ctx = Ctx(absl::Seconds(30));
  grpc::Status s = client_->SubmitSweep(ctx.get(), req, &resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return resp.sweep_id();
}

absl::StatusOr<v1::SweepInfo> E2eCluster::GetSweep(int64_t sweep_id) {
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::SweepInfo info;
  auto ctx = Ctx();
  grpc::Status s = client_->GetSweep(ctx.get(), req, &info);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return info;
}

absl::StatusOr<std::vector<v1::Job>> E2eCluster::ListJobs(int64_t sweep_id, v1::JobState state) {
  std::vector<v1::Job> out;
  int64_t after = 0;
  while (true) {
    v1::ListJobsRequest req;
    req.set_sweep_id(sweep_id);
    req.set_state(state);
    req.set_page_size(500);
    req.set_after_job_id(after);
    v1::ListJobsResponse resp;
    auto ctx = Ctx();
    grpc::Status s = client_->ListJobs(ctx.get(), req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    for (const auto& j : resp.jobs()) out.push_back(j);
    if (resp.next_after_job_id() == 0) break;
    after = resp.next_after_job_id();
  }
  return out;
}

absl::StatusOr<std::vector<v1::ResultRow>> E2eCluster::QueryResults(int64_t sweep_id) {
  std::vector<v1::ResultRow> out;
  int64_t after = 0;
  while (true) {
    v1::QueryResultsRequest req;
    req.set_sweep_id(sweep_id);
    req.set_page_size(500);
    req.set_after_result_id(after);
    v1::QueryResultsResponse resp;
    auto ctx = Ctx();
    grpc::Status s = client_->QueryResults(ctx.get(), req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    for (const auto& r : resp.rows()) out.push_back(r);
    if (resp.next_after_result_id() == 0) break;
    after = resp.next_after_result_id();
  }
  return out;
}

bool E2eCluster::WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

bool E2eCluster::WaitForSweepEnd(int64_t sweep_id, absl::Duration timeout, v1::SweepInfo* info) {
  return WaitFor(
      [&] {
        auto s = GetSweep(sweep_id);
        if (!s.ok()) return false;
        if (info != nullptr) *info = *s;
        return s->state() == v1::SWEEP_DONE || s->state() == v1::SWEEP_CANCELLED;
      },
      timeout);
}

absl::StatusOr<std::vector<std::vector<std::string>>> E2eCluster::SqlRows(const std::string& sql) const {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("open ", db_path_, ": ", err));
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::string err = sqlite3_errmsg(db);
    sqlite3_close(db);
    return absl::InvalidArgumentError(absl::StrCat(sql, ": ", err));
  }
  std::vector<std::vector<std::string>> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* t = sqlite3_column_text(stmt, i);
      row.push_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    rows.push_back(std::move(row));
  }
  std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!err.empty()) return absl::InternalError(absl::StrCat(sql, ": ", err));
  return rows;
}

absl::StatusOr<int64_t> E2eCluster::SqlInt(const std::string& sql) const {
  auto rows = SqlRows(sql);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || rows->front().empty()) return absl::NotFoundError(sql + ": no row");
  return std::stoll(rows->front().front().empty() ? "0" : rows->front().front());
}

std::string E2eCluster::Logs() const {
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 6000) text = "..." + text.substr(text.size() - 6000);
    absl::StrAppend(&out, "==== ", entry.path().filename().string(), "\n", text, "\n");
  }
  return out;
}

CommandResult E2eCluster::RunAblate(const std::vector<std::string>& args, bool with_address, absl::Duration timeout) {
  std::vector<std::string> argv = {absl::StrCat(ABLATE_BINARY_DIR, "/cli/ablate")};
  argv.insert(argv.end(), args.begin(), args.end());
  if (with_address) argv.insert(argv.end(), {"--coordinator", address()});
  const std::string log = absl::StrCat(dir_, "/cli-", ++commands_run_, ".out");
  auto p = Subprocess::Start(argv, log);
  if (!p.ok()) return {-1, std::string(p.status().message())};
  CommandResult r;
  r.exit_code = (*p)->Wait(timeout).value_or(-2);
  r.output = (*p)->Log();
  commands_.push_back(*std::move(p));  // a command still running dies with the cluster
  return r;
}

}  // namespace ablate::testing
