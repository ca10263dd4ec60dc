// Throughput of `frugal harvest run`'s own stages on a generated interaction log (issue 8):
// parsing (with every check of DESIGN.md §4), pairing, and the whole pipeline with cheap stand-in
// scorers (so that the detectors' cost, measured by their own benches, is left out), plus
// corroboration alone. Baselines in the same process: bare JSON parsing of the same lines
// (what the checks cost on top of nlohmann), pairing by sorting on (user, session) strings
// (what interning saves), and utterance_key() per vote (what corroboration's once-per-spelling
// normalization saves, on ASCII words and on accented ones).
//
//   frugal_harvest_run [--turns N] [--seed S]
//
// The log: users pick one of 3,000 request frames Zipf-wise; a frame's first phrasing fails
// (status "error", friction 1) and the user rephrases with the frame's second phrasing, which
// succeeds; other turns are unrelated successes; sessions hold 1-6 turns 2-40 s apart, and one
// gap in ten is longer than the 60 s window.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/corroboration.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/pairing.hpp"
#include "frugal/harvest/pipeline.hpp"

namespace {

using namespace frugal::harvest;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct frame {
  std::vector<std::string> failing;  // the phrasing the NLU gets wrong
  std::vector<std::string> working;  // the rephrase it gets right
  std::string intent;
  std::uint32_t slot_start = 0;  // one slot, the same word in both phrasings
};

std::vector<frame> make_frames(std::size_t count, std::mt19937_64& random) {
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 800; ++i) vocabulary.push_back(fmt::format("w{}", i));
  std::vector<frame> frames(count);
  for (std::size_t f = 0; f < count; ++f) {
    frame& fr = frames[f];
    const std::size_t length = 4 + random() % 4;
    for (std::size_t i = 0; i < length; ++i)
      fr.failing.push_back(vocabulary[random() % vocabulary.size()]);
    fr.slot_start = std::uint32_t(1 + random() % (length - 1));
    fr.failing[fr.slot_start] = fmt::format("value{}", f);
    fr.working = fr.failing;
    fr.working[0] = "please";  // a carrier change keeps the slot word
    fr.intent = fmt::format("intent{}", f % 60);
  }
  return frames;
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

std::string generate_log(std::size_t turns, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  const std::vector<frame> frames = make_frames(3000, random);
  // Zipf(1) over frames by inverse-CDF on precomputed weights.
  std::vector<double> cumulative(frames.size());
  double total = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) cumulative[i] = total += 1.0 / double(i + 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto pick_frame = [&]() -> const frame& {
    const double u = unit(random) * total;
    return frames[std::size_t(std::lower_bound(cumulative.begin(), cumulative.end(), u) -
                              cumulative.begin())];
  };
  std::string log;
  log.reserve(turns * 220);
  std::size_t written = 0, session = 0;
  const auto emit = [&](std::size_t user, std::size_t session_id, double time,
                        const std::vector<std::string>& words, bool failed, const frame& fr) {
    const std::string slots =
        failed ? "[]"
               : fmt::format("[{{\"type\":\"slot{}\",\"start\":{},\"end\":{}}}]", fr.slot_start % 7,
                             fr.slot_start, fr.slot_start + 1);
    log += fmt::format(
        "{{\"user\":\"u{}\",\"session\":\"s{}\",\"time\":{:.1f},\"text\":\"{}\","
        "\"asr_confidence\":{:.2f},\"nlu\":{{\"intent\":\"{}\",\"slots\":{},\"confidence\":{:.2f}}}"
        ","
        "\"status\":{},\"friction\":{}}}\n",
        user, session_id, time, join(words), failed ? 0.6 : 0.95, failed ? "unknown" : fr.intent,
        slots, failed ? 0.2 : 0.9, failed ? "\"error\"" : "200", failed ? 1 : 0);
    ++written;
  };
  while (written < turns) {
    const std::size_t user = random() % 100000;
    const std::size_t turns_here = 1 + random() % 6;
    double time = double(random() % 1000000);
    ++session;
    for (std::size_t k = 0; k < turns_here && written < turns; ++k) {
      const frame& fr = pick_frame();
      if (random() % 10 < 3 && written + 1 < turns) {
        emit(user, session, time, fr.failing, true, fr);
        time += 2 + double(random() % 10);
        emit(user, session, time, fr.working, false, fr);
      } else {
        emit(user, session, time, fr.working, false, fr);
      }
      time += random() % 10 == 0 ? 61 + double(random() % 300) : 2 + double(random() % 38);
    }
  }
  return log;
}

// What pairing would cost without interning: one sort on (user, session, time) strings.
std::size_t pairs_by_string_sort(const std::vector<turn>& turns, double max_gap) {
  std::vector<std::size_t> order(turns.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(turns[a].user, turns[a].session, turns[a].time, a) <
           std::tie(turns[b].user, turns[b].session, turns[b].time, b);
  });
  std::size_t pairs = 0;
  for (std::size_t k = 1; k < order.size(); ++k) {
    const turn& a = turns[order[k - 1]];
    const turn& b = turns[order[k]];
    pairs += a.user == b.user && a.session == b.session && b.time - a.time <= max_gap;
  }
  return pairs;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t turn_count = 1000000;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view option = argv[i];
    if (option == "--turns") {
      turn_count = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (option == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      fmt::print(stderr, "usage: frugal_harvest_run [--turns N] [--seed S]\n");
      return 2;
    }
  }

  auto start = clock_type::now();
  const std::string text = generate_log(turn_count, seed);
  fmt::print("generated {} turns ({:.0f} MB of JSONL) in {:.2f} s\n", turn_count,
             double(text.size()) / 1e6, seconds_since(start));
  const double n = double(turn_count);
  const auto row = [&](const char* stage, double seconds, const std::string& note) {
    fmt::print("{:<34} {:>8.3f} s {:>14.0f} turns/s  {}\n", stage, seconds, n / seconds, note);
  };

  // Baseline: nlohmann parsing of every line, no checks, no turn objects.
  start = clock_type::now();
  std::size_t objects = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    objects += nlohmann::json::parse(std::string_view(text).substr(at, end - at)).is_object();
    at = end + 1;
  }
  const double bare_parse = seconds_since(start);

  start = clock_type::now();
  const interaction_log log = parse_interaction_log(text, "generated.jsonl");
  const double parse = seconds_since(start);
  if (log.turns.size() != turn_count || objects != turn_count) {
    fmt::print(stderr, "expected {} turns, read {}\n", turn_count, log.turns.size());
    return 1;
  }
  row("baseline: bare JSON parse", bare_parse, "nlohmann::json::parse per line");
  row("parse_interaction_log", parse, fmt::format("{:.2f}x the bare parse", parse / bare_parse));

  start = clock_type::now();
  const std::size_t string_pairs = pairs_by_string_sort(log.turns, 60.0);
  const double string_sort = seconds_since(start);
  start = clock_type::now();
  const std::vector<turn_pair> pairs = pair_turns(log.turns, 60.0);
  const double pairing = seconds_since(start);
  if (pairs.size() != string_pairs) {
    fmt::print(stderr, "pairing disagrees with the string sort: {} vs {}\n", pairs.size(),
               string_pairs);
    return 1;
  }
  row("baseline: pairing by string sort", string_sort, fmt::format("{} pairs", pairs.size()));
  row("pair_turns", pairing,
      fmt::format("{:.2f}x faster than the string sort", string_sort / pairing));

  // Stand-ins: the label as friction, and "same length, at least half the words equal" as the
  // paraphrase test; both O(words).
  const friction_scorer friction = [](const turn& t) {
    return t.friction.value_or(false) ? 1.0 : 0.0;
  };
  const paraphrase_scorer paraphrase = [](const turn& a, const turn& b) {
    if (a.tokens.size() != b.tokens.size()) return 0.0;
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.tokens.size(); ++i) same += a.tokens[i] == b.tokens[i];
    return 2 * same >= a.tokens.size() ? 1.0 : 0.0;
  };
  start = clock_type::now();
  const harvest_result result = run_harvest(log.turns, paraphrase, friction);
  const double pipeline = seconds_since(start);
  const harvest_summary& s = result.summary;
  row("run_harvest (stand-in scorers)", pipeline,
      fmt::format("pairs {}, frictions {}, paraphrases {}, chains {}, projections {}, "
                  "rejected {}, utterances {}, kept {}",
                  s.pairs, s.frictions, s.paraphrases, s.chains, s.projections,
                  s.rejected_projections, s.utterances, s.kept));

  // Corroboration alone, on votes shaped like the pipeline's.
  std::vector<projection_vote> votes;
  votes.reserve(log.turns.size());
  for (const turn& t : log.turns)
    votes.push_back({t.user, {t.tokens, t.nlu.intent, t.nlu.slots}, t.nlu.intent != "unknown"});
  start = clock_type::now();
  const std::vector<corroborated_example> corroborated = corroborate(votes);
  const double corroboration = seconds_since(start);
  row("corroborate (one vote per turn)", corroboration,
      fmt::format("{} distinct utterances", corroborated.size()));
  // Baseline: utterance_key() of every vote, which is how corroborate grouped votes before it
  // normalized each distinct spelling once. Then both on the same votes with "é" appended to
  // every word, so that normalization takes the ICU path (German, Italian logs) instead of the
  // ASCII one.
  const auto keys_per_vote = [](const std::vector<projection_vote>& all) {
    std::size_t bytes = 0;
    for (const projection_vote& vote : all) bytes += utterance_key(vote.projection.tokens).size();
    return bytes;
  };
  start = clock_type::now();
  std::size_t key_bytes = keys_per_vote(votes);
  row("baseline: utterance_key per vote", seconds_since(start),
      fmt::format("{:.1f}x corroborate's time", seconds_since(start) / corroboration));
  std::vector<projection_vote> accented = votes;
  for (projection_vote& vote : accented)
    for (std::string& token : vote.projection.tokens) token += "\u00e9";
  start = clock_type::now();
  const std::size_t accented_utterances = corroborate(accented).size();
  const double accented_corroboration = seconds_since(start);
  row("corroborate, accented words", accented_corroboration,
      fmt::format("{} distinct utterances", accented_utterances));
  start = clock_type::now();
  key_bytes += keys_per_vote(accented);
  const double accented_keys = seconds_since(start);
  row("baseline: utterance_key, accented", accented_keys,
      fmt::format("{:.1f}x corroborate's time ({} key bytes)",
                  accented_keys / accented_corroboration, key_bytes));
  row("total: parse + run_harvest", parse + pipeline, "");
  return 0;
}
