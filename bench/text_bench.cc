// text_bench.cc: tokens per second of Tokenizer::Encode on WikiText-2 raw
// test (1.29 MB, 299,078 Qwen2 tokens), with the BPE word cache cleared
// before every pass ("Cold") and kept warm ("Warm"), plus the cache disabled
// and GPT-2's tokenizer for comparison, and Decode. Also the dataset loaders
// and the BPE trainer.
//
// The shared data directory is $ABLATE_SHARED_DIR or the build-time default.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "worker/text/bpe_trainer.h"
#include "worker/text/dataset.h"
#include "worker/text/tokenizer.h"

namespace ablate::text {
namespace {

std::string Shared(const std::string& rel) {
  const char* env = std::getenv("ABLATE_SHARED_DIR");
  return std::string(env != nullptr ? env : ABLATE_SHARED_DIR) + "/" + rel;
}

const std::string& WikiText() {
  static const std::string* text = [] {
    auto c = LoadTextCorpus(Shared("data/wikitext-2/wiki.test.raw"));
    return new std::string(c.ok() ? c->text : std::string());
  }();
  return *text;
}

std::unique_ptr<Tokenizer> Load(const std::string& rel, size_t cache_entries) {
  TokenizerOptions options;
  options.bpe_cache_entries = cache_entries;
  auto t = Tokenizer::FromFile(Shared(rel), options);
  if (!t.ok()) {
    std::cerr << t.status() << "\n";
    return nullptr;
  }
  return std::move(*t);
}

void RunEncode(benchmark::State& state, const Tokenizer* tok, bool clear_cache) {
  const std::string& text = WikiText();
  if (tok == nullptr || text.empty()) {
    state.SkipWithError("shared data missing (set ABLATE_SHARED_DIR)");
    return;
  }
  if (!clear_cache) (void)tok->Encode(text);  // warm the cache once
  int64_t tokens = 0;
  for (auto _ : state) {
    if (clear_cache) {
      state.PauseTiming();
      tok->ClearBpeCache();
      state.ResumeTiming();
    }
    auto ids = tok->Encode(text);
    if (!ids.ok()) {
      state.SkipWithError(std::string(ids.status().message()).c_str());
      return;
    }
    tokens += static_cast<int64_t>(ids->size());
    benchmark::DoNotOptimize(ids->data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(text.size()) * state.iterations());
}

const Tokenizer* Qwen() {
  static const Tokenizer* t = Load("data/tokenizers/qwen2/tokenizer.json", 65536).release();
  return t;
}

void BM_QwenEncodeCold(benchmark::State& state) { RunEncode(state, Qwen(), /*clear_cache=*/true); }
void BM_QwenEncodeWarm(benchmark::State& state) { RunEncode(state, Qwen(), /*clear_cache=*/false); }
void BM_QwenEncodeNoCache(benchmark::State& state) {
  static const Tokenizer* t = Load("data/tokenizers/qwen2/tokenizer.json", 0).release();
  RunEncode(state, t, /*clear_cache=*/false);
}
void BM_Gpt2EncodeWarm(benchmark::State& state) {
  static const Tokenizer* t = Load("data/tokenizers/gpt2/encoder.json", 65536).release();
  RunEncode(state, t, /*clear_cache=*/false);
}

void BM_QwenDecode(benchmark::State& state) {
  const Tokenizer* tok = Qwen();
  if (tok == nullptr || WikiText().empty()) {
    state.SkipWithError("shared data missing");
    return;
  }
  const std::vector<int32_t> ids = *tok->Encode(WikiText());
  for (auto _ : state) {
    auto text = tok->Decode(ids);
    benchmark::DoNotOptimize(text->data());
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(ids.size()) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_LoadQwenTokenizer(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Load("data/tokenizers/qwen2/tokenizer.json", 65536));
}

void BM_LoadMmlu5Shot(benchmark::State& state) {
  v1::MultipleChoiceEval e;
  e.set_task(v1::MMLU);
  e.set_path(Shared("data/evals/mmlu/test"));
  e.set_fewshot_path(Shared("data/evals/mmlu/dev"));
  e.set_num_fewshot(5);
  for (auto _ : state) {
    auto ds = LoadMultipleChoice(e);
    if (!ds.ok()) {
      state.SkipWithError(std::string(ds.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(ds->items.data());
  }
}

// Training a byte-level BPE on all of tinyshakespeare (1.1 MB).
void BM_TrainBpeShakespeare(benchmark::State& state) {
  auto corpus = LoadTextCorpus(Shared("data/corpora/tinyshakespeare/input.txt"));
  if (!corpus.ok()) {
    state.SkipWithError("shared data missing");
    return;
  }
  BpeTrainerOptions options;
  options.vocab_size = static_cast<int32_t>(state.range(0));
  for (auto _ : state) {
    auto bpe = TrainByteLevelBpe(corpus->text, options);
    benchmark::DoNotOptimize(bpe->merges.data());
  }
}

BENCHMARK(BM_QwenEncodeCold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_QwenEncodeWarm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_QwenEncodeNoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gpt2EncodeWarm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_QwenDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadQwenTokenizer)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_LoadMmlu5Shot)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainBpeShakespeare)->Arg(1024)->Arg(8192)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace ablate::text

BENCHMARK_MAIN();
