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
  // A status without a message (e.g. gRPC refusing a request it could not
  // parse) is described by its code instead of printing an empty line.
  int Fail(const absl::Status& status) {
    if (status.message().empty()) {
      std::cerr << "ablate: the request failed with " << absl::StatusCodeToString(status.code())
                << " and no message (a request the server could not parse, or a client and"
                   " coordinator of different versions?)\n";
    } else {
      std::cerr << "ablate: " << status.message() << "\n";
    }
    exit_code = status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    return exit_code;
  }
};

// Each command group lives in its own file and adds its subcommands here.
void RegisterModelCommands(CLI::App* app, CommandContext* ctx);      // cmd_model.cc
void RegisterTokenizerCommands(CLI::App* app, CommandContext* ctx);  // cmd_tokenizer.cc
void RegisterSweepCommands(CLI::App* app,
                           CommandContext* ctx);  // cmd_sweep.cc (run, submit, status, watch, results, cancel, workers)
void RegisterSpecCommands(CLI::App* app, CommandContext* ctx);    // cmd_spec.cc (expand)
void RegisterTrainCommands(CLI::App* app, CommandContext* ctx);   // cmd_train.cc
void RegisterAuthCommands(CLI::App* app, CommandContext* ctx);    // cmd_auth.cc (token new, audit)
void RegisterReportCommands(CLI::App* app, CommandContext* ctx);  // cmd_report.cc (report)
// After RegisterSweepCommands: adds `workers launch` / `workers autoscale`.
void RegisterLaunchCommands(CLI::App* app, CommandContext* ctx);  // cmd_launch.cc

}  // namespace ablate::cli

#endif  // ABLATE_CLI_COMMAND_CONTEXT_H_
