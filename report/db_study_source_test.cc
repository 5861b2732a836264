// db_study_source_test.cc: the report reads a real SQLite job store
// read-only, beside a holder of the coordinator's lock and an open writer,
// through the coordinator's store queries (provenance included).
#include "report/db_study_source.h"

#include <unistd.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/file_lock.h"
#include "storage/job_store.h"
#include "tests/testing/status_matchers.h"

namespace ablate::report {
namespace {

using ::ablate::testing::StatusIs;

std::string TempDb() {
  const std::string dir = ::testing::TempDir() + "/report_db_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/ablate.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

storage::JobRecord MakeJob(int index, v1::AblationKind kind, const std::string& label, int layer) {
  v1::JobSpec spec;
  spec.mutable_model()->set_name("m<1>");
  spec.set_model_family("qwen2");
  spec.mutable_evaluation()->set_name("ppl");
  spec.mutable_evaluation()->mutable_perplexity()->set_dataset("d.txt");
  spec.mutable_condition()->set_kind(kind);
  spec.mutable_condition()->set_label(label);
  spec.mutable_condition()->set_layer(layer);
  storage::JobRecord j;
  j.job_index = index;
  j.keys.model_name = "m<1>";
  j.keys.model_family = "qwen2";
  j.keys.kind = kind;
  j.keys.condition_label = label;
  j.keys.component = kind == v1::BASELINE ? 0 : v1::LAYER;
  j.keys.layer = layer;
  j.keys.evaluation = "ppl";
  j.spec_proto = spec.SerializeAsString();
  return j;
}

TEST(DbStudySourceTest, ReadsBesideTheCoordinatorsLockAndWriter) {
  const std::string path = TempDb();
  auto writer = storage::JobStore::Open(path);
  ASSERT_OK(writer);
  storage::SweepRecord sweep;
  sweep.name = "s";
  sweep.spec_text = "name: s\n";
  std::vector<storage::JobRecord> jobs = {MakeJob(0, v1::BASELINE, "baseline", -1),
                                          MakeJob(1, v1::LAYER_SWEEP, "layer_sweep/layer/L0", 0)};
  ASSERT_OK((*writer)->RunInTransaction([&] { return (*writer)->InsertSweep(&sweep, &jobs); }));
  for (int i = 0; i < 2; ++i) {
    storage::ResultRecord r;
    r.job_id = jobs[i].job_id;
    r.sweep_id = sweep.sweep_id;
    r.attempt = 1;
    r.worker_id = "worker-a";
    r.metrics = {{"perplexity", i == 0 ? 10.0 : 25.0, ""}};
    r.checkpoint_fingerprint = "ckpt";
    r.dataset_fingerprint = "data";
    r.wall_seconds = 2.5;
    r.code_version = "v-test";
    r.completed_unix_ms = 5;
    ASSERT_OK((*writer)->RunInTransaction([&] { return (*writer)->InsertResult(r); }));
  }
  auto lock = storage::FileLock::Acquire(path + ".lock");  // as a running coordinator holds it
  ASSERT_OK(lock);

  auto source = DbStudySource::Open(path);
  ASSERT_OK(source);
  auto data = LoadStudy(**source, sweep.sweep_id);
  ASSERT_OK(data);
  EXPECT_EQ(data->sweep.name, "s");
  EXPECT_EQ(data->sweep.spec_text, "name: s\n");
  EXPECT_EQ(data->sweep.jobs_total, 2);
  ASSERT_EQ(data->jobs.size(), 2u);
  EXPECT_EQ(data->jobs[1].model, "m<1>");
  EXPECT_TRUE(data->jobs[1].provenance.has_result);
  EXPECT_EQ(data->jobs[1].provenance.checkpoint_fingerprint, "ckpt");
  EXPECT_EQ(data->jobs[1].provenance.worker_id, "worker-a");
  EXPECT_DOUBLE_EQ(data->jobs[1].provenance.wall_seconds, 2.5);
  EXPECT_EQ(data->jobs[1].evaluation_kind, "perplexity");
  ASSERT_EQ(data->rows.size(), 2u);
  EXPECT_EQ(data->rows[1].kind, Kind::kLayerSweep);
  EXPECT_EQ(data->rows[1].component, "layer");
  EXPECT_DOUBLE_EQ(data->rows[1].ratio, 2.5);

  EXPECT_THAT(LoadStudy(**source, 99).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // Nothing was written: no second sweep appears, and the writer still works.
  ASSERT_OK((*writer)->RunInTransaction([&] { return (*writer)->UpdateSweepState(sweep.sweep_id, 2, 9); }));
}

TEST(DbStudySourceTest, MissingFileIsNotCreated) {
  const std::string path = TempDb() + ".absent";
  EXPECT_THAT(DbStudySource::Open(path).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace ablate::report
