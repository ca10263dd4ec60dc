// libFuzzer target for the projection-pairs reader (harvest/projection_pairs.hpp) and label
// projection: for any bytes the reader returns pairs with an id that is a non-empty string or an
// integer, non-empty token lists, and valid sorted source slots, or throws frugal::input_error
// naming the file and a line. With skip_bad it never throws, keeps exactly the pairs of a strict
// read when that succeeds, and accounts for every non-blank line. Each pair is then projected by
// both methods at a threshold the input picks, and the fast path must agree with the plain
// reference exactly; the result must be a valid annotation of the target, and its line JSON.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/projection_pairs.hpp"
#include "harvest/json_lines.hpp"
#include "harvest/projection_reference.hpp"

namespace {

using frugal::input_error;
using namespace frugal::harvest;
namespace detail = frugal::harvest::detail;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "projection_pairs_fuzz: %s\n", what);
  std::abort();
}

void check(const projection_pair& pair) {
  if (pair.id.empty()) fail("an empty id accepted");
  if (pair.source.tokens.empty() || pair.target_tokens.empty()) fail("an empty utterance accepted");
  if (pair.source.intent.empty()) fail("an empty intent accepted");
  for (const std::string& token : pair.source.tokens)
    if (token.empty()) fail("an empty source token accepted");
  for (const std::string& token : pair.target_tokens)
    if (token.empty()) fail("an empty target token accepted");
  if (!slot_problem(pair.source.slots, pair.source.tokens.size()).empty())
    fail("bad source slots accepted");
  for (std::size_t i = 1; i < pair.source.slots.size(); ++i)
    if (pair.source.slots[i - 1].start >= pair.source.slots[i].start) fail("slots not sorted");
}

void project_both(const projection_pair& pair, double threshold) {
  for (const projection_method method :
       {projection_method::slot_first, projection_method::greedy}) {
    projection_settings settings;
    settings.method = method;
    settings.max_relative_distance = threshold;
    const projection_result fast = project(pair.source, pair.target_tokens, settings);
    const projection_result reference =
        detail::project_reference(pair.source, pair.target_tokens, settings);
    if (fast.ok != reference.ok || fast.reason != reference.reason ||
        fast.slots != reference.slots || fast.intent != reference.intent)
      fail("fast and reference projection disagree");
    if (fast.intent != pair.source.intent) fail("the intent was not carried over");
    if (fast.ok != fast.reason.empty()) fail("a reason on success or none on rejection");
    if (fast.ok && !slot_problem(fast.slots, pair.target_tokens.size()).empty())
      fail("a projection that is not a valid annotation of the target");
    if (fast.ok && fast.slots.size() != pair.source.slots.size()) fail("a slot lost or gained");
    const std::string line = projection_line(pair, fast);
    if (line.find('\n') != std::string::npos) fail("a result line with a line break");
    const detail::json id = detail::json::parse(line)["id"];
    if (pair.integer_id ? !id.is_number_integer() || id.dump() != pair.id : id != pair.id)
      fail("the id changed type or value");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The input's length picks the threshold: 0 to 1 in steps of 0.05.
  const double threshold = double(size % 21) / 20.0;

  projection_pairs strict;
  bool strict_ok = false;
  try {
    strict = parse_projection_pairs(text, "p.jsonl");
    strict_ok = true;
  } catch (const input_error& error) {
    if (error.file() != "p.jsonl") fail("an error that does not name the file");
    if (error.line() == 0) fail("an error without a line");
  }

  projection_pairs lenient;
  try {
    lenient = parse_projection_pairs(text, "p.jsonl", true);
  } catch (const input_error&) {
    fail("skip_bad threw");
  }
  if (strict_ok && (lenient.skipped != 0 || lenient.pairs.size() != strict.pairs.size()))
    fail("skip_bad changed a valid input");
  if (!strict_ok && lenient.skipped == 0) fail("a strict failure that skip_bad did not count");
  std::size_t non_blank = 0;
  std::string_view rest = text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) ++non_blank;
  }
  if (lenient.pairs.size() + lenient.skipped != non_blank) fail("lines neither read nor skipped");

  for (const projection_pair& pair : lenient.pairs) {
    check(pair);
    project_both(pair, threshold);
  }
  return 0;
}
