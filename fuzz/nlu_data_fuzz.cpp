// libFuzzer target for the NLU data readers and the NLU model file (issue 8): the same bytes are
// parsed as SLURP JSONL, as xSID CoNLL and as frugal's annotated JSONL, and each reader returns
// utterances with non-empty tokens, a non-empty intent and valid slots (slot_problem() == ""),
// or throws frugal::input_error naming the file and a line; nothing else may escape. The bytes
// are then read as an NLU model: a model that loads must predict valid slots with a confidence
// in [0, 1] and write itself back byte for byte; anything else must be an input_error.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/nlu.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "nlu_data_fuzz: %s\n", what);
  std::abort();
}

void check(const std::vector<harvest::annotated_utterance>& data) {
  for (const harvest::annotated_utterance& u : data) {
    if (u.tokens.empty()) fail("an utterance without tokens");
    for (const std::string& token : u.tokens)
      if (token.empty()) fail("an empty token");
    if (u.intent.empty()) fail("an empty intent");
    if (!harvest::slot_problem(u.slots, u.tokens.size()).empty()) fail("invalid slots accepted");
  }
}

template <typename Parse>
void parse_as(std::string_view text, const char* source, Parse parse) {
  try {
    check(parse(text, source));
  } catch (const input_error& error) {
    if (error.file() != source) fail("an error that does not name the file");
    if (error.line() == 0) fail("an error without a line");
  }
}

void read_model(std::string_view bytes) {
  std::istringstream in{std::string(bytes)};
  harvest::nlu_model model;
  try {
    model = harvest::nlu_model::read(in, "m.nlu");
  } catch (const input_error& error) {
    if (error.file() != "m.nlu") fail("a model error that does not name the file");
    return;
  }
  const std::vector<std::string> tokens = {"wake", "me", "up", "at", "seven", "in", "Köln"};
  const harvest::nlu_hypothesis h = model.predict(tokens);
  if (!harvest::slot_problem(h.slots, tokens.size()).empty()) fail("a prediction with bad slots");
  if (!(h.confidence >= 0.0 && h.confidence <= 1.0)) fail("a confidence outside [0, 1]");
  std::ostringstream out;
  model.write(out);
  if (out.str() != bytes) fail("a model that does not write back the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parse_as(text, "d.jsonl",
           [](std::string_view t, const std::string& s) { return harvest::parse_slurp(t, s); });
  parse_as(text, "d.conll",
           [](std::string_view t, const std::string& s) { return harvest::parse_xsid(t, s); });
  parse_as(text, "a.jsonl", [](std::string_view t, const std::string& s) {
    return harvest::parse_annotated_jsonl(t, s);
  });
  read_model(text);
  return 0;
}
