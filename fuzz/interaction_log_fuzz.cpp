// libFuzzer target for the interaction-log reader (harvest::parse_interaction_log): for any bytes
// it returns turns that satisfy every documented invariant, or throws frugal::input_error naming
// the file and a line. With skip_bad it never throws, keeps exactly the turns of a strict read
// when that succeeds, and accounts for every non-blank line as a turn or a skip. The turns then
// go through pairing and the pipeline with stand-in scorers, whose summary must add up.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/pairing.hpp"
#include "frugal/harvest/pipeline.hpp"
#include "frugal/harvest/text.hpp"

namespace {

using namespace frugal;
using namespace frugal::harvest;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "interaction_log_fuzz: %s\n", what);
  std::abort();
}

bool probability(double value) {
  return value >= 0.0 && value <= 1.0;
}

void check(const interaction_log& log) {
  std::size_t previous_line = 0;
  for (const turn& t : log.turns) {
    if (t.line <= previous_line) fail("turn lines that do not increase");
    previous_line = t.line;
    if (t.id.empty() || t.user.empty() || t.session.empty()) fail("an empty id, user or session");
    if (!std::isfinite(t.time) || t.time < 0) fail("a time that is negative or not finite");
    if (!probability(t.asr_confidence) || !probability(t.nlu.confidence))
      fail("a confidence outside [0, 1]");
    if (t.tokens.empty()) fail("an empty utterance accepted");
    if (invalid_utf8_offset(t.text) != std::string_view::npos) fail("invalid UTF-8 accepted");
    if (t.tokens != tokenize(t.text)) fail("tokens that are not tokenize(text)");
    if (!slot_problem(t.nlu.slots, t.tokens.size()).empty()) fail("bad slots accepted");
    for (std::size_t i = 1; i < t.nlu.slots.size(); ++i)
      if (t.nlu.slots[i - 1].start >= t.nlu.slots[i].start) fail("slots not sorted by start");
  }
}

// Non-blank lines, counted the way the JSONL reader defines them (BOM, CRLF, blanks and tabs).
std::size_t non_blank_lines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::size_t count = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) ++count;
  }
  return count;
}

void exercise_pipeline(const interaction_log& log) {
  const std::vector<turn_pair> pairs = pair_turns(log.turns, 60.0);
  for (const turn_pair& pair : pairs) {
    const turn& a = log.turns[pair.first];
    const turn& b = log.turns[pair.second];
    if (a.user != b.user || a.session != b.session || b.time < a.time || b.time - a.time > 60.0)
      fail("a pair that is not consecutive turns of one session within the gap");
  }
  harvest_settings settings;
  settings.corroboration.min_occurrences = 1;
  settings.corroboration.min_users = 1;
  const harvest_result result = run_harvest(
      log.turns,
      [](const turn& a, const turn& b) { return a.tokens.size() == b.tokens.size() ? 1.0 : 0.0; },
      [](const turn& t) { return t.friction.value_or(t.nlu.confidence < 0.5) ? 1.0 : 0.0; },
      settings);
  const harvest_summary& s = result.summary;
  if (s.pairs != pairs.size() || s.turns != log.turns.size()) fail("summary counts differ");
  if (s.projections + s.rejected_projections != s.chains) fail("projections do not add up");
  if (s.chains > s.frictions || s.paraphrases > s.pairs || s.kept > s.utterances ||
      s.utterances != result.candidates.size())
    fail("summary counts out of order");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "log.jsonl";
  bool strict_ok = false;
  interaction_log strict;
  try {
    strict = parse_interaction_log(text, source);
    strict_ok = true;
  } catch (const input_error& error) {
    if (error.file() != source) fail("an error that does not name the file");
    if (error.line() == 0 || error.column() == 0) fail("an error without a line and column");
  }
  if (strict_ok) {
    check(strict);
    if (strict.skipped != 0) fail("skips without skip_bad");
  }

  interaction_log lenient;
  try {
    lenient = parse_interaction_log(text, source, {.skip_bad = true});
  } catch (const input_error&) {
    fail("skip_bad threw");
  }
  check(lenient);
  if (lenient.turns.size() + lenient.skipped != non_blank_lines(text))
    fail("a non-blank line that is neither a turn nor a skip");
  if (lenient.skip_messages.size() != std::min<std::size_t>(lenient.skipped, 10))
    fail("not the first ten skip messages");
  if (strict_ok && (lenient.skipped != 0 || lenient.turns.size() != strict.turns.size()))
    fail("skip_bad changed a valid log");
  if (!strict_ok && lenient.skipped == 0) fail("a strict error that skip_bad did not skip");

  exercise_pipeline(lenient);
  return 0;
}
