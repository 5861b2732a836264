// train_config.cc: YAML -> JSON -> TrainOptions.
#include "worker/train/train_config.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"

namespace ablate::train {
namespace {

nlohmann::json ScalarToJson(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  int64_t i = 0;
  if (absl::SimpleAtoi(s, &i)) return i;
  double d = 0;
  if (s == ".inf" || s == "Infinity") return std::numeric_limits<double>::infinity();
  if (absl::SimpleAtod(s, &d)) return d;
  return s;
}

nlohmann::json NodeToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return ScalarToJson(n);
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& c : n) a.push_back(NodeToJson(c));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = NodeToJson(kv.second);
      return o;
    }
    default:
      return nullptr;
  }
}

template <typename T>
absl::Status Get(const nlohmann::json& v, absl::string_view what, const std::string& key, T* out) {
  try {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) throw std::runtime_error("expected a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) throw std::runtime_error("expected true or false");
    } else if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer()) throw std::runtime_error("expected an integer");
      if (std::is_unsigned_v<T> && v.get<int64_t>() < 0) throw std::runtime_error("expected a non-negative integer");
    } else {
      if (!v.is_number()) throw std::runtime_error("expected a number");
    }
    *out = v.get<T>();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", key, "': ", e.what(), ", got ", v.dump()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyTrainJson(const nlohmann::json& j, absl::string_view what, TrainOptions* o) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": expected a map of train options"));
  using Setter = std::function<absl::Status(const nlohmann::json&, const std::string&)>;
  auto str = [&](std::string* f) -> Setter { return [=](const auto& v, const auto& k) { return Get(v, what, k, f); }; };
  auto i64 = [&](int64_t* f) -> Setter { return [=](const auto& v, const auto& k) { return Get(v, what, k, f); }; };
  auto dbl = [&](double* f) -> Setter { return [=](const auto& v, const auto& k) { return Get(v, what, k, f); }; };
  auto bln = [&](bool* f) -> Setter { return [=](const auto& v, const auto& k) { return Get(v, what, k, f); }; };
  const std::map<std::string, Setter> setters = {
      {"name", str(&o->name)},
      {"description", str(&o->description)},
      {"corpus_dir", str(&o->corpus_dir)},
      {"corpus_provenance", str(&o->corpus_provenance)},
      {"heldout_every", i64(&o->heldout_every)},
      {"bpe_vocab_size", i64(&o->bpe_vocab_size)},
      {"heldout_sample_path", str(&o->heldout_sample_path)},
      {"heldout_sample_bytes", i64(&o->heldout_sample_bytes)},
      {"steps", i64(&o->steps)},
      {"batch_size", i64(&o->batch_size)},
      {"seq_len", i64(&o->seq_len)},
      {"lr", dbl(&o->lr)},
      {"warmup_steps", i64(&o->warmup_steps)},
      {"min_lr_ratio", dbl(&o->min_lr_ratio)},
      {"weight_decay", dbl(&o->weight_decay)},
      {"beta1", dbl(&o->beta1)},
      {"beta2", dbl(&o->beta2)},
      {"adam_eps", dbl(&o->adam_eps)},
      {"grad_clip", dbl(&o->grad_clip)},
      {"seed", [&](const nlohmann::json& v, const std::string& k) { return Get(v, what, k, &o->seed); }},
      {"eval_every", i64(&o->eval_every)},
      {"eval_max_tokens", i64(&o->eval_max_tokens)},
      {"eval_batch_size", i64(&o->eval_batch_size)},
      {"final_eval_max_tokens", i64(&o->final_eval_max_tokens)},
      {"threads", i64(&o->threads)},
      {"progress_tty", bln(&o->progress_tty)},
      {"render_png", bln(&o->render_png)},
      {"out_dir", str(&o->out_dir)},
  };
  for (const auto& [key, v] : j.items()) {
    if (key == "model") {
      if (!v.is_object())
        return absl::InvalidArgumentError(absl::StrCat(what, ": 'model' must be a map of config.json keys"));
      for (const auto& [mk, mv] : v.items()) o->model[mk] = mv;
      continue;
    }
    auto it = setters.find(key);
    if (it == setters.end())
      return absl::InvalidArgumentError(absl::StrCat(what, ": unknown train option '", key, "'"));
    RETURN_IF_ERROR(it->second(v, key));
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view text, absl::string_view what) {
  try {
    return NodeToJson(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ":", e.mark.line + 1, ": ", e.msg));
  }
}

absl::StatusOr<TrainOptions> LoadTrainConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  ASSIGN_OR_RETURN(nlohmann::json j, YamlToJson(text, path));
  TrainOptions o;
  RETURN_IF_ERROR(ApplyTrainJson(j, path, &o));
  return o;
}

}  // namespace ablate::train
