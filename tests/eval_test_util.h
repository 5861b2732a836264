// eval_test_util.h: helpers for the evaluator's cross-module tests: a
// checkpoint directory built from a golden model plus a tiny byte-level
// tokenizer, a recording JobContext (test double), and job builders.
#ifndef ABLATE_TESTS_EVAL_TEST_UTIL_H_
#define ABLATE_TESTS_EVAL_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "ablate/v1/job.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/shared_data.h"
#include "worker/evaluator.h"

namespace ablate::testing {

// HF bytes_to_unicode: the byte-level alphabet of GPT-2 style tokenizers.
inline std::string ByteLevelSymbol(int b) {
  auto printable = [](int c) { return (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255); };
  int cp = b;
  if (!printable(b)) {
    int n = 0;
    for (int c = 0; c < b; ++c) n += printable(c) ? 0 : 1;
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// tokenizer.json: ids 0..255 are the bytes, 256 is "<|endoftext|>" (eos).
inline void WriteByteTokenizer(const std::filesystem::path& dir) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[ByteLevelSymbol(b)] = b;
  nlohmann::json tok = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens",
       {{{"id", 256},
         {"content", "<|endoftext|>"},
         {"single_word", false},
         {"lstrip", false},
         {"rstrip", false},
         {"normalized", false},
         {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"vocab", vocab},
        {"merges", nlohmann::json::array()}}}};
  std::ofstream(dir / "tokenizer.json") << tok.dump();
  std::ofstream(dir / "tokenizer_config.json") << R"({"eos_token": "<|endoftext|>"})";
}

inline std::string CheckpointPrefix() { return "ablate_eval_test_" + std::to_string(::getpid()) + "_"; }

// Removes this process's checkpoint directories when it exits.
inline void RemoveCheckpointsAtExit() {
  static const bool registered = [] {
    std::atexit([] {
      namespace fs = std::filesystem;
      std::error_code ec;
      const std::string prefix = CheckpointPrefix();
      for (const auto& e : fs::directory_iterator(fs::temp_directory_path(), ec)) {
        if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(e.path(), ec);
      }
    });
    return true;
  }();
  (void)registered;
}

// <tmp>/<name>: symlinks to the golden config.json and model.safetensors, plus
// the byte tokenizer. Returns "" when the golden model is absent. Removed at exit.
inline std::string MakeCheckpoint(const std::string& golden_name, const std::string& tag = "") {
  namespace fs = std::filesystem;
  RemoveCheckpointsAtExit();
  const fs::path src = SharedPath("golden/" + golden_name);
  if (!fs::exists(src)) return "";
  const fs::path dir = fs::temp_directory_path() / (CheckpointPrefix() + golden_name + tag);
  fs::create_directories(dir);
  for (const char* f : {"config.json", "model.safetensors"}) {
    fs::remove(dir / f);
    fs::create_symlink(src / f, dir / f);
  }
  WriteByteTokenizer(dir);
  return dir.string();
}

class RecordingContext : public worker::JobContext {
 public:
  void ReportProgress(double fraction, absl::string_view message) override {
    std::lock_guard<std::mutex> lock(mu_);
    fractions_.push_back(fraction);
    last_message_ = std::string(message);
  }
  bool Cancelled() const override { return cancelled_.load(); }
  void Cancel() { cancelled_ = true; }
  std::vector<double> fractions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fractions_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<double> fractions_;
  std::string last_message_;
  std::atomic<bool> cancelled_{false};
};

inline v1::Job JobFor(const std::string& model_dir, const v1::EvaluationSpec& eval,
                      const std::vector<v1::Target>& targets = {}) {
  v1::Job job;
  job.set_job_id(1);
  job.mutable_spec()->mutable_model()->set_path(model_dir);
  *job.mutable_spec()->mutable_evaluation() = eval;
  for (const v1::Target& t : targets) *job.mutable_spec()->mutable_condition()->add_targets() = t;
  job.mutable_spec()->mutable_condition()->set_label(targets.empty() ? "baseline" : "test");
  return job;
}

inline v1::Target MakeTarget(int layer, v1::Component c, v1::AblationMode mode) {
  v1::Target t;
  t.set_layer(layer);
  t.set_component(c);
  t.set_mode(mode);
  return t;
}

inline const v1::Metric* FindMetric(const v1::JobResult& r, const std::string& name) {
  for (const v1::Metric& m : r.metrics()) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_EVAL_TEST_UTIL_H_
