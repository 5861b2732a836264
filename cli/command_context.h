// command_context.h: what every `ablate` subcommand shares: the exit code it
// sets and the convention for errors (one clear line on stderr, non-zero exit).
#ifndef ABLATE_CLI_COMMAND_CONTEXT_H_
#define ABLATE_CLI_COMMAND_CONTEXT_H_

#include <iostream>

#include "absl/status/status.h"

namespace CLI {
class App;
}

namespace ablate::cli {

struct CommandContext {
  int exit_code = 0;

  // Prints "ablate: <message>" and sets a non-zero exit code. Returns the code.
  int Fail(const absl::Status& status) {
    std::cerr << "ablate: " << status.message() << "\n";
    exit_code = status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    return exit_code;
  }
};

// Each command group lives in its own file and adds its subcommands here.
void RegisterModelCommands(CLI::App* app, CommandContext* ctx);      // cmd_model.cc
void RegisterTokenizerCommands(CLI::App* app, CommandContext* ctx);  // cmd_tokenizer.cc
void RegisterSweepCommands(CLI::App* app, CommandContext* ctx);      // cmd_sweep.cc (run, submit, status, watch, results, cancel, workers)
void RegisterSpecCommands(CLI::App* app, CommandContext* ctx);       // cmd_spec.cc (expand)
void RegisterTrainCommands(CLI::App* app, CommandContext* ctx);      // cmd_train.cc
// After RegisterSweepCommands: adds `workers launch` / `workers autoscale`.
void RegisterLaunchCommands(CLI::App* app, CommandContext* ctx);     // cmd_launch.cc

}  // namespace ablate::cli

#endif  // ABLATE_CLI_COMMAND_CONTEXT_H_
