// cmd_spec.cc: `ablate expand`, a sweep spec's grid without running it.
//
//   ablate expand spec.yaml                   -> jobs per model and kind, and the total
//   ablate expand spec.yaml --list            -> one line per job: index model label evaluation seed targets
//   ablate expand spec.yaml --json            -> every job as protobuf JSON, one per line (JSON Lines)
//   ablate expand spec.yaml --layout qwen=spec/testdata/qwen2.5-0.5b
//       reads that model's config.json from the given directory instead of models[].path
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "common/model_config.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"
#include "google/protobuf/util/json_util.h"
#include "spec/expander.h"
#include "spec/layout_sources.h"
#include "spec/spec_parser.h"

namespace ablate::cli {
namespace {

struct ExpandArgs {
  std::string spec;
  std::vector<std::string> layouts;
  bool json = false;
  bool list = false;
};

std::string TargetsText(const v1::Condition& c) {
  std::vector<std::string> parts;
  for (const auto& t : c.targets()) {
    std::string mode(ModeName(t.mode()));
    if (t.mode() == v1::SCALE) absl::StrAppend(&mode, "(", t.scale(), ")");
    parts.push_back(absl::StrCat("L", t.layer(), ":", ComponentName(t.component()), ":", mode));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

void PrintTable(const v1::SweepSpec& spec, const std::vector<v1::ExpansionCount>& counts) {
  size_t model_w = 5;
  for (const auto& c : counts) model_w = std::max(model_w, c.model().size());
  std::cout << "sweep '" << spec.name() << "': " << spec.models_size() << " models, " << spec.evaluations_size()
            << " evaluations, " << std::max(1, spec.seeds_size()) << (spec.seeds_size() > 1 ? " seeds\n" : " seed\n");
  std::cout << std::left << std::setw(model_w + 2) << "model" << std::setw(13) << "kind" << std::right << std::setw(11)
            << "conditions" << std::setw(10) << "jobs"
            << "\n";
  int64_t conditions = 0, jobs = 0;
  for (const auto& c : counts) {
    std::cout << std::left << std::setw(model_w + 2) << c.model() << std::setw(13) << KindName(c.kind()) << std::right
              << std::setw(11) << c.conditions() << std::setw(10) << c.jobs() << "\n";
    conditions += c.conditions();
    jobs += c.jobs();
  }
  std::cout << std::left << std::setw(model_w + 2) << "total" << std::setw(13) << "" << std::right << std::setw(11)
            << conditions << std::setw(10) << jobs << "\n";
}

absl::Status RunExpand(const ExpandArgs& a) {
  std::vector<std::string> notes;
  ASSIGN_OR_RETURN(v1::SweepSpec spec, spec::LoadSweepSpec(a.spec, &notes));
  for (const std::string& n : notes) std::cerr << "note: " << n << "\n";
  std::map<std::string, std::string> dirs;
  for (const std::string& l : a.layouts) {
    ASSIGN_OR_RETURN(auto kv, spec::ParseLayoutOverride(l));
    bool known = false;
    for (const auto& m : spec.models()) known = known || m.name() == kv.first;
    if (!known)
      return absl::InvalidArgumentError(absl::StrCat("--layout ", l, ": the spec has no model '", kv.first, "'"));
    dirs[kv.first] = kv.second;
  }
  spec::ConfigLayoutSource from_paths;
  spec::OverrideLayoutSource layouts(std::move(dirs), &from_paths);
  if (!a.json && !a.list) {
    ASSIGN_OR_RETURN(std::vector<v1::ExpansionCount> counts, spec::CountSweep(spec, layouts));
    PrintTable(spec, counts);
    return absl::OkStatus();
  }
  // Streamed: a 10^6-job grid never sits in memory.
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;     // the spec's own key names
  opts.always_print_primitive_fields = true;  // explicit jobs: seed 0, index 0, layer 0 are printed
  std::string line;
  const bool list = a.list;
  auto done = spec::StreamSweep(spec, layouts, [&](const v1::JobSpec& j) -> absl::Status {
    if (list) {
      std::cout << j.index() << "\t" << j.model().name() << "\t" << j.condition().label() << "\t"
                << j.evaluation().name() << "\t" << j.seed() << "\t" << TargetsText(j.condition()) << "\n";
      return absl::OkStatus();
    }
    line.clear();
    auto s = google::protobuf::util::MessageToJsonString(j, &line, opts);
    if (!s.ok()) return absl::InternalError(absl::StrCat("job ", j.index(), ": ", s.ToString()));
    std::cout << line << "\n";
    return absl::OkStatus();
  });
  return done.status();
}

}  // namespace

void RegisterSpecCommands(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<ExpandArgs>();
  CLI::App* cmd =
      app->add_subcommand("expand", "Expand a sweep spec into its jobs (counts, list or JSON), without running it");
  cmd->add_option("spec", args->spec, "Sweep spec (YAML or JSON)")->required();
  cmd->add_option("--layout", args->layouts,
                  "MODEL=DIR: read that model's config.json from DIR instead of its path (repeatable)");
  auto* json = cmd->add_flag("--json", args->json, "Print every job as protobuf JSON, one per line");
  cmd->add_flag("--list", args->list, "Print one line per job: index, model, label, evaluation, seed, targets")
      ->excludes(json);
  cmd->callback([args, ctx] {
    absl::Status s = RunExpand(*args);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace ablate::cli
