// main.cc: the `ablate` command line. Subcommand groups register themselves
// from their own files (see command_context.h).
#include "CLI/CLI.hpp"
#include "cli/command_context.h"
#include "common/allocation_policy.h"

int main(int argc, char** argv) {
  ablate::ApplyAllocationPolicy();  // before any thread or tensor allocates
  CLI::App app{"ablate: functional component ablation sweeps for hybrid language models"};
  app.require_subcommand(1);
  ablate::cli::CommandContext ctx;
  // --- command groups (one line each) ---
  ablate::cli::RegisterTokenizerCommands(&app, &ctx);
  ablate::cli::RegisterSpecCommands(&app, &ctx);
  ablate::cli::RegisterModelCommands(&app, &ctx);
  ablate::cli::RegisterTrainCommands(&app, &ctx);
  ablate::cli::RegisterSweepCommands(&app, &ctx);
  ablate::cli::RegisterAuthCommands(&app, &ctx);
  ablate::cli::RegisterReportCommands(&app, &ctx);
  ablate::cli::RegisterLaunchCommands(&app, &ctx);
  // --- end command groups ---
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
