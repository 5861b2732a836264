// cmd_model.cc: `ablate model ...`, the model zoo from the command line.
//
//   ablate model check-golden ../shared/golden/qwen2-tiny-tied [more dirs...]
//       one line per golden case (max abs diff, tolerance, PASS/FAIL); exit 0 iff all pass
//   ablate model describe /ckpt/falcon-h1-0.5b
//       family, parameter count, per-layer component table
#include <torch/types.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "common/status_macros.h"
#include "worker/models/describe.h"
#include "worker/models/golden.h"

namespace ablate::cli {
namespace {

struct CheckGoldenArgs {
  std::vector<std::string> dirs;
  std::string device = "cpu";
};

absl::StatusOr<torch::Device> ParseDevice(const std::string& s) {
  try {
    return torch::Device(s);
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(absl::StrCat("bad --device '", s, "' (cpu, cuda, cuda:N)"));
  }
}

// Returns OK when every case of every directory passes; FailedPrecondition otherwise.
absl::Status RunCheckGolden(const CheckGoldenArgs& a) {
  ASSIGN_OR_RETURN(torch::Device device, ParseDevice(a.device));
  int failed = 0, total = 0, bad_dirs = 0;
  for (const std::string& dir : a.dirs) {
    auto report = models::RunGoldenChecks(dir, {.device = device});
    if (!report.ok()) {
      std::cout << "== " << dir << "\nERROR: " << report.status().message() << "\n";
      ++bad_dirs;
      continue;
    }
    std::cout << "== " << dir << " (" << report->family << ")\n";
    for (const auto& c : report->checks) {
      std::cout << models::FormatCheck(c) << "\n";
      ++total;
      if (!c.pass) ++failed;
    }
  }
  std::cout << (total - failed) << "/" << total << " checks passed";
  if (bad_dirs) std::cout << ", " << bad_dirs << " director" << (bad_dirs == 1 ? "y" : "ies") << " unusable";
  std::cout << "\n";
  if (failed || bad_dirs || total == 0)
    return absl::FailedPreconditionError(
        absl::StrCat("check-golden: ", failed, " failed checks, ", bad_dirs, " unusable directories"));
  return absl::OkStatus();
}

absl::Status RunDescribe(const std::string& dir) {
  ASSIGN_OR_RETURN(models::ModelDescription d, models::DescribeModel(dir));
  std::cout << models::FormatDescription(d);
  return absl::OkStatus();
}

}  // namespace

void RegisterModelCommands(CLI::App* app, CommandContext* ctx) {
  CLI::App* model = app->add_subcommand("model", "Inspect and verify model checkpoints");
  model->require_subcommand(1);

  auto cargs = std::make_shared<CheckGoldenArgs>();
  CLI::App* check = model->add_subcommand("check-golden", "Compare the model zoo against golden directories");
  check->add_option("dirs", cargs->dirs, "golden directories (manifest.json + expected.safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  check->add_option("--device", cargs->device, "cpu, cuda or cuda:N")->capture_default_str();
  check->callback([cargs, ctx] {
    absl::Status s = RunCheckGolden(*cargs);
    if (!s.ok()) ctx->Fail(s);
  });

  auto dir = std::make_shared<std::string>();
  CLI::App* describe = model->add_subcommand("describe", "Print family, parameter count and layer table");
  describe->add_option("dir", *dir, "checkpoint directory (config.json + safetensors)")->required();
  describe->callback([dir, ctx] {
    absl::Status s = RunDescribe(*dir);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace ablate::cli
