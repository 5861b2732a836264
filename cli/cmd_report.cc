// cmd_report.cc: `ablate report SWEEP (--db FILE | --coordinator ADDR) -o
// report.html [--png DIR]`: the study report of one sweep as one
// self-contained HTML file (docs/report.md), read from a running coordinator
// over gRPC or from its database file opened read-only (no lock taken: a
// coordinator may be serving it), through the same query code either way.
// --png also writes every figure as PNG through headless Chromium.
#include <fstream>
#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/client_study_source.h"
#include "cli/command_context.h"
#include "report/db_study_source.h"
#include "report/html_page.h"
#include "report/png_export.h"

#ifndef ABLATE_REPORT_VERSION
#define ABLATE_REPORT_VERSION "unknown"
#endif

namespace ablate::cli {
namespace {

struct ReportArgs {
  int64_t sweep_id = 0;
  std::string db;
  std::string coordinator;
  std::string output = "report.html";
  std::string png_dir;
  std::string chromium;
};

void Report(const ReportArgs& a, CommandContext* ctx) {
  if (a.db.empty() == a.coordinator.empty()) {
    ctx->Fail(absl::InvalidArgumentError("give exactly one of --db FILE or --coordinator ADDRESS"));
    return;
  }
  std::unique_ptr<report::StudySource> source;
  std::string from;
  if (!a.db.empty()) {
    auto db = report::DbStudySource::Open(a.db);
    if (!db.ok()) return (void)ctx->Fail(db.status());
    source = *std::move(db);
    from = absl::StrCat("database file ", a.db);
  } else {
    source = std::make_unique<ClientStudySource>(a.coordinator);
    from = absl::StrCat("coordinator ", a.coordinator);
  }
  auto data = report::LoadStudy(*source, a.sweep_id);
  if (!data.ok()) return (void)ctx->Fail(data.status());
  const std::string html =
      report::RenderReportHtml(*data, {.generated_by = absl::StrCat("ablate ", ABLATE_REPORT_VERSION),
                                       .source = from,
                                       .generated_unix_ms = absl::ToUnixMillis(absl::Now())});
  {
    std::ofstream out(a.output, std::ios::binary | std::ios::trunc);
    out << html;
    if (!out.good()) {
      ctx->Fail(absl::UnavailableError(absl::StrCat("-o ", a.output, ": cannot write the report")));
      return;
    }
  }
  std::cerr << "wrote " << a.output << " (sweep " << a.sweep_id << ", " << data->rows.size() << " result rows, "
            << html.size() / 1024 << " KiB)\n";
  if (a.png_dir.empty()) return;
  auto pngs = report::ExportPngs(*data, a.png_dir, {.chromium = a.chromium});
  if (!pngs.ok()) return (void)ctx->Fail(pngs.status());
  std::cerr << "wrote " << pngs->size() << " PNG figures to " << a.png_dir << "\n";
}

}  // namespace

void RegisterReportCommands(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd =
      app->add_subcommand("report", "Write a sweep's study report: one self-contained HTML file with the figures");
  cmd->add_option("sweep", args->sweep_id, "sweep id")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--db", args->db, "read the coordinator's SQLite file (read-only; no lock taken)");
  // No $ABLATE_COORDINATOR default: with --db it would make two sources.
  cmd->add_option("--coordinator", args->coordinator, "read from a running coordinator (host:port)");
  cmd->add_option("-o,--output", args->output, "the HTML file to write")->capture_default_str();
  cmd->add_option("--png", args->png_dir, "also write every figure as PNG into this directory (headless Chromium)");
  cmd->add_option("--chromium", args->chromium, "the Chromium binary for --png (default: chromium on PATH)");
  cmd->callback([args, ctx] { Report(*args, ctx); });
}

}  // namespace ablate::cli
