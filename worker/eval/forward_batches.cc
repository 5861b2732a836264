// forward_batches.cc: see forward_batches.h.
#include "worker/eval/forward_batches.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace ablate::eval {
namespace {

// CPU int64 [end - begin, width].
at::Tensor PaddedBatch(const std::vector<ScoringWindow>& windows, const std::vector<size_t>& order, size_t begin,
                       size_t end, int64_t pad) {
  int64_t width = 0;
  for (size_t k = begin; k < end; ++k) {
    width = std::max<int64_t>(width, static_cast<int64_t>(windows[order[k]].input.size()));
  }
  at::Tensor ids = at::full({static_cast<int64_t>(end - begin), width}, pad, at::TensorOptions().dtype(at::kLong));
  auto acc = ids.accessor<int64_t, 2>();
  for (size_t k = begin; k < end; ++k) {
    const auto& in = windows[order[k]].input;
    for (size_t t = 0; t < in.size(); ++t) acc[k - begin][t] = in[t];
  }
  return ids;
}

// What this call keeps in the residual cache: decided at the first store,
// when the states' element size is known (LayersToKeep).
struct KeepPlan {
  int64_t elements_per_layer = 0;  // one layer's states over every batch
  std::vector<bool> keep;          // empty until decided
};

// The normed final hidden states [B, W, H] of one pass, through the residual
// cache when there is one.
at::Tensor HiddenPass(const models::CausalLM& lm, const at::Tensor& cpu_ids, const models::AblationPlan* plan,
                      const BatchOptions& options, KeepPlan& kp, BatchStats& st) {
  models::ForwardOptions fo;
  fo.plan = plan;
  const at::Tensor ids = cpu_ids.to(lm.device());
  if (options.residuals == nullptr) return lm.ForwardHidden(ids, fo);
  const std::string key = ResidualKey(options.residual_key, cpu_ids);
  const int64_t first = plan != nullptr ? models::FirstAblatedLayer(lm.config(), *plan) : lm.config().num_layers;
  ResidualCache::Hit hit = options.residuals->Deepest(key, first);
  std::vector<at::Tensor> states;
  fo.start_layer = hit.layer;
  fo.start_hidden = hit.hidden;
  fo.residuals = &states;
  at::Tensor h = lm.ForwardHidden(ids, fo);
  st.layers_skipped += hit.layer;
  if (kp.keep.empty()) {
    int64_t element = 0;
    for (const at::Tensor& s : states) element = s.defined() ? static_cast<int64_t>(s.element_size()) : element;
    kp.keep = LayersToKeep(lm.config().num_layers, kp.elements_per_layer * element, options.residuals->max_bytes(),
                           options.reuse_output_state);
  }
  for (size_t i = 0; i < states.size(); ++i) {
    if (i >= kp.keep.size() || !kp.keep[i]) states[i] = at::Tensor();
  }
  options.residuals->Store(key, states);
  return h;
}

}  // namespace

bool IsOutOfMemory(const c10::Error& e) {
  const std::string msg = e.what_without_backtrace();
  return msg.find("out of memory") != std::string::npos || msg.find("can't allocate memory") != std::string::npos ||
         msg.find("Cannot allocate memory") != std::string::npos;
}

absl::Status ForwardWindows(const models::CausalLM& lm, const std::vector<ScoringWindow>& windows,
                            const BatchOptions& options, const WindowCallback& callback, BatchStats* stats) {
  BatchStats local;
  BatchStats& st = stats ? *stats : local;
  std::vector<size_t> order(windows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return windows[a].input.size() > windows[b].input.size(); });
  int64_t batch = std::max<int64_t>(1, options.batch_size);
  bool retried = false;
  const int64_t chunk = ChunkRows(lm.config().vocab_size, options.logits_chunk_bytes);
  KeepPlan kp;
  if (options.residuals != nullptr) {
    for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch)) {
      const size_t rows = std::min(order.size() - begin, static_cast<size_t>(batch));
      const auto width = static_cast<int64_t>(windows[order[begin]].input.size());  // the batch's longest
      kp.elements_per_layer += static_cast<int64_t>(rows) * width * lm.config().hidden_size;
    }
  }
  if (options.ctx != nullptr) options.ctx->AddWork(0, 0, static_cast<int64_t>(order.size()));
  for (size_t begin = 0; begin < order.size();) {
    if (options.ctx != nullptr) {
      if (options.ctx->Cancelled()) return absl::CancelledError("job cancelled");
      const double f = static_cast<double>(begin) / static_cast<double>(order.size());
      options.ctx->ReportProgress(options.progress_begin + f * (options.progress_end - options.progress_begin),
                                  absl::StrCat(options.what, " ", begin, "/", order.size()));
    }
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch));
    at::Tensor hidden, base;
    try {
      const at::Tensor ids = PaddedBatch(windows, order, begin, end, options.pad_token);
      hidden = HiddenPass(lm, ids, options.plan, options, kp, st);
      ++st.forwards;
      if (options.with_baseline) {
        base = HiddenPass(lm, ids, nullptr, options, kp, st);
        ++st.forwards;
      }
    } catch (const c10::Error& e) {
      if (!IsOutOfMemory(e) || retried || batch == 1) throw;
      retried = true;
      ++st.oom_retries;
      batch = std::max<int64_t>(1, batch / 2);
      continue;  // the same `begin`, a smaller batch
    }
    const int64_t tokens_before = st.tokens;
    for (size_t k = begin; k < end; ++k) {
      const ScoringWindow& w = windows[order[k]];
      const auto len = static_cast<int64_t>(w.input.size());
      st.tokens += len;
      const auto r = static_cast<int64_t>(k - begin);
      const WindowLogits row = WindowLogits::FromHidden(lm, hidden[r].narrow(0, 0, len), chunk);
      const WindowLogits brow =
          base.defined() ? WindowLogits::FromHidden(lm, base[r].narrow(0, 0, len), chunk) : WindowLogits();
      if (absl::Status s = callback(order[k], row, brow); !s.ok()) return s;
    }
    if (options.ctx != nullptr) {
      options.ctx->AddWork(static_cast<int64_t>(end - begin), st.tokens - tokens_before);
    }
    begin = end;
  }
  st.final_batch_size = batch;
  return absl::OkStatus();
}

}  // namespace ablate::eval
