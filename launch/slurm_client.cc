// slurm_client.cc: see slurm_client.h.
#include "launch/slurm_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ablate::launch {
namespace {

// The first line of a command's stderr (or stdout), for error messages.
std::string FirstLine(const CommandResult& r) {
  const std::string& text = r.err.empty() ? r.out : r.err;
  std::string line(absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))));
  return line.size() > 300 ? line.substr(0, 300) : line;
}

bool ValidTaskId(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::vector<SlurmTask> ParseSqueue(const std::string& output) {
  std::vector<SlurmTask> tasks;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipWhitespace())) {
    std::vector<std::string> parts = absl::StrSplit(absl::StripAsciiWhitespace(line), '|');
    if (parts.size() != 2 || !ValidTaskId(parts[0]) || parts[1].empty()) continue;
    tasks.push_back({parts[0], parts[1]});
  }
  return tasks;
}

absl::StatusOr<CommandResult> SlurmClient::Run(const std::vector<std::string>& argv) const {
  absl::StatusOr<CommandResult> r = RunCommand(argv, commands_.limits);
  if (!r.ok()) return absl::UnavailableError(std::string(r.status().message()));
  if (r->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(argv[0], " failed (exit ", r->exit_code, "): ", FirstLine(*r)));
  }
  return r;
}

absl::StatusOr<std::string> SlurmClient::Submit(std::vector<std::string> argv) const {
  if (argv.empty()) return absl::InvalidArgumentError("sbatch: empty argv");
  argv[0] = commands_.sbatch;
  absl::StatusOr<CommandResult> r = Run(argv);
  if (!r.ok()) return r.status();
  // --parsable: "<job id>" or "<job id>;<cluster>".
  std::string id(absl::StripAsciiWhitespace(r->out));
  id = id.substr(0, id.find(';'));
  if (!ValidTaskId(id)) {
    return absl::UnavailableError(absl::StrCat("sbatch printed no job id: ", FirstLine(*r)));
  }
  return id;
}

absl::StatusOr<std::vector<SlurmTask>> SlurmClient::ListTasks(const std::string& job_name) const {
  absl::StatusOr<CommandResult> r =
      Run({commands_.squeue, "-h", "-r", absl::StrCat("--name=", job_name), "-o", "%i|%T"});
  if (!r.ok()) return r.status();
  return ParseSqueue(r->out);
}

absl::Status SlurmClient::Cancel(const std::vector<std::string>& task_ids) const {
  if (task_ids.empty()) return absl::OkStatus();
  std::vector<std::string> argv = {commands_.scancel};
  for (const std::string& id : task_ids) {
    if (!ValidTaskId(id)) return absl::InvalidArgumentError(absl::StrCat("bad Slurm job id '", id, "'"));
    argv.push_back(id);
  }
  return Run(argv).status();
}

}  // namespace ablate::launch
