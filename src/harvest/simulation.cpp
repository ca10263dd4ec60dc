// The harvest simulator and evaluation (frugal/harvest/simulation.hpp).

#include "frugal/harvest/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/random.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/pairing.hpp"
#include "frugal/harvest/text.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest {
namespace {

using detail::json;
using values_map = std::unordered_map<std::string, std::vector<std::vector<std::string>>>;

std::string join(const std::vector<std::string>& tokens) {
  std::string text;
  for (const std::string& token : tokens) {
    if (!text.empty()) text += ' ';
    text += token;
  }
  return text;
}

// A token the log can carry unchanged: tokenize(text) must give it back as one token.
bool loggable(const std::vector<std::string>& tokens) {
  if (tokens.empty()) return false;
  for (const std::string& token : tokens) {
    if (token.empty() || invalid_utf8_offset(token) != std::string_view::npos) return false;
    const std::vector<std::string> split = tokenize(token);
    if (split.size() != 1 || split[0] != token) return false;
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// ASR-like noise on one word: a letter substituted, dropped or doubled (a mis-heard word keeps
// its place, so the truth's spans still hold).
std::string noised_word(const std::string& word, frugal::detail::random_source& random) {
  std::vector<std::uint32_t> cps = decode_utf8(word);
  const std::size_t at = random.below(cps.size());
  const std::uint64_t kind = random.below(3);
  if (kind == 0 || cps.size() < 3) {
    std::uint32_t letter = static_cast<std::uint32_t>('a' + random.below(26));
    if (letter == cps[at]) letter = letter == 'z' ? 'a' : letter + 1;
    cps[at] = letter;
  } else if (kind == 1) {
    cps.erase(cps.begin() + static_cast<std::ptrdiff_t>(at));
  } else {
    cps.insert(cps.begin() + static_cast<std::ptrdiff_t>(at), cps[at]);
  }
  std::string out;
  for (const std::uint32_t cp : cps) append_utf8(out, cp);
  return out;
}

double rounded(double value, double unit) {
  return std::round(value / unit) * unit;
}

double wilson_lower(std::size_t successes, std::size_t n, double z = 1.959963984540054) {
  if (n == 0) return 0.0;
  const double count = static_cast<double>(n);
  const double p = static_cast<double>(successes) / count;
  const double z2 = z * z;
  const double centre = p + z2 / (2.0 * count);
  const double spread = z * std::sqrt(p * (1 - p) / count + z2 / (4.0 * count * count));
  return std::max(0.0, (centre - spread) / (1 + z2 / count));
}

std::string annotation_signature(const annotated_utterance& utterance) {
  std::string text = utterance.intent;
  for (const slot_span& slot : utterance.slots)
    text += fmt::format("|{}:{}-{}", slot.type, slot.start, slot.end);
  return text;
}

}  // namespace

const char* phrase_kind_name(phrase_kind kind) {
  switch (kind) {
    case phrase_kind::head:
      return "head";
    case phrase_kind::tail:
      return "tail";
    case phrase_kind::unseen:
      return "unseen";
  }
  return "?";
}

std::string carrier_key(const annotated_utterance& utterance) {
  std::string key = utterance.intent;
  key += '\t';
  std::size_t slot = 0;
  bool first = true;
  for (std::size_t i = 0; i < utterance.tokens.size();) {
    if (!first) key += ' ';
    first = false;
    if (slot < utterance.slots.size() && utterance.slots[slot].start == i) {
      key += '{';
      key += utterance.slots[slot].type;
      key += '}';
      i = utterance.slots[slot].end;
      ++slot;
    } else {
      key += normalize_word(utterance.tokens[i]);
      ++i;
    }
  }
  return key;
}

simulation_world simulation_world::build(std::span<const annotated_utterance> data,
                                         std::uint64_t seed) {
  simulation_world world;
  std::unordered_map<std::string, std::size_t> group_by_key;
  std::unordered_map<std::string, std::unordered_map<std::string, bool>> value_seen;
  for (const annotated_utterance& utterance : data) {
    if (!loggable(utterance.tokens)) continue;
    carrier c;
    c.intent = utterance.intent;
    std::vector<std::string> types;
    std::size_t slot = 0;
    for (std::size_t i = 0; i < utterance.tokens.size();) {
      if (slot < utterance.slots.size() && utterance.slots[slot].start == i) {
        const slot_span& span = utterance.slots[slot];
        c.pieces.emplace_back();
        c.slot_types.push_back(span.type);
        std::vector<std::string> value(utterance.tokens.begin() + span.start,
                                       utterance.tokens.begin() + span.end);
        if (value_seen[span.type].emplace(utterance_key(value), true).second)
          world.values_[span.type].push_back(value);
        c.own_values.push_back(std::move(value));
        types.push_back(span.type);
        i = span.end;
        ++slot;
      } else {
        c.pieces.push_back(utterance.tokens[i]);
        c.slot_types.emplace_back();
        ++i;
      }
    }
    c.key = carrier_key(utterance);
    if (world.carrier_by_key_.count(c.key)) continue;
    std::sort(types.begin(), types.end());
    std::string group_key = c.intent;
    for (const std::string& type : types) group_key += '\t' + type;
    const auto [group, fresh] = group_by_key.emplace(group_key, world.groups_.size());
    if (fresh) world.groups_.emplace_back();
    c.group = group->second;
    world.groups_[c.group].push_back(world.carriers_.size());
    world.carrier_by_key_.emplace(c.key, world.carriers_.size());
    world.carriers_.push_back(std::move(c));
  }
  frugal::detail::random_source random(seed, 0x7a11);
  for (const std::vector<std::size_t>& members : world.groups_) {
    if (members.size() < 2) continue;
    std::vector<std::uint32_t> order(members.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    random.shuffle(order);
    for (std::size_t i = 0; i < members.size() / 2; ++i)
      world.carriers_[members[order[i]]].tail = true;
  }
  return world;
}

std::size_t simulation_world::head_carriers() const {
  return static_cast<std::size_t>(
      std::count_if(carriers_.begin(), carriers_.end(), [](const carrier& c) { return !c.tail; }));
}

std::size_t simulation_world::tail_carriers() const {
  return carriers_.size() - head_carriers();
}

phrase_kind simulation_world::kind_of(const annotated_utterance& utterance) const {
  const auto found = carrier_by_key_.find(carrier_key(utterance));
  if (found == carrier_by_key_.end()) return phrase_kind::unseen;
  return carriers_[found->second].tail ? phrase_kind::tail : phrase_kind::head;
}

annotated_utterance simulation_world::fill(std::size_t index,
                                           const values_map& values_by_type) const {
  const carrier& c = carriers_[index];
  annotated_utterance out;
  out.intent = c.intent;
  std::unordered_map<std::string, std::size_t> used;
  for (std::size_t p = 0; p < c.pieces.size(); ++p) {
    if (c.slot_types[p].empty()) {
      out.tokens.push_back(c.pieces[p]);
      continue;
    }
    const std::string& type = c.slot_types[p];
    const std::vector<std::vector<std::string>>& values = values_by_type.at(type);
    const std::vector<std::string>& value = values.at(used[type]++);
    const auto start = static_cast<std::uint32_t>(out.tokens.size());
    out.tokens.insert(out.tokens.end(), value.begin(), value.end());
    out.slots.push_back({type, start, static_cast<std::uint32_t>(out.tokens.size())});
  }
  return out;
}

annotated_utterance simulation_world::own_utterance(std::size_t index) const {
  const carrier& c = carriers_[index];
  values_map values;
  std::size_t slot = 0;
  for (const std::string& type : c.slot_types)
    if (!type.empty()) values[type].push_back(c.own_values[slot++]);
  return fill(index, values);
}

const std::vector<std::vector<std::string>>& simulation_world::values_of(
    const std::string& type) const {
  static const std::vector<std::vector<std::string>> none;
  const auto found = values_.find(type);
  return found == values_.end() ? none : found->second;
}

namespace {

values_map random_values(const simulation_world& world, std::size_t carrier,
                         frugal::detail::random_source& random) {
  values_map values;
  for (const std::string& type : world.carriers()[carrier].slot_types) {
    if (type.empty()) continue;
    const auto& pool = world.values_of(type);
    values[type].push_back(pool[random.below(pool.size())]);
  }
  return values;
}

values_map own_values(const simulation_world& world, std::size_t carrier) {
  values_map values;
  const auto& c = world.carriers()[carrier];
  std::size_t slot = 0;
  for (const std::string& type : c.slot_types)
    if (!type.empty()) values[type].push_back(c.own_values[slot++]);
  return values;
}

}  // namespace

std::vector<annotated_utterance> simulation_world::head_training_data(std::size_t extra_fills,
                                                                      std::uint64_t seed) const {
  frugal::detail::random_source random(seed, 0x7ea1);
  std::vector<annotated_utterance> data;
  for (std::size_t c = 0; c < carriers_.size(); ++c) {
    if (carriers_[c].tail) continue;
    data.push_back(own_utterance(c));
    if (carriers_[c].own_values.empty()) continue;  // nothing to vary
    for (std::size_t f = 0; f < extra_fills; ++f)
      data.push_back(fill(c, random_values(*this, c, random)));
  }
  return data;
}

simulated_log simulate_log(const simulation_world& world, const nlu_model& model,
                           const simulation_settings& settings) {
  if (world.carriers().empty()) throw std::invalid_argument("simulate_log: no carrier phrases");
  if (settings.users == 0 || settings.max_attempts == 0 || settings.fills_per_carrier == 0 ||
      settings.max_requests_per_session == 0)
    throw std::invalid_argument("simulate_log: users, attempts, fills and requests must be >= 1");
  frugal::detail::random_source inventory(settings.frame_seed, 0xf4a3e);
  const auto& carriers = world.carriers();

  // The frame inventory and its Zipf popularity over a seeded ranking.
  struct frame {
    std::size_t carrier;
    values_map values;
  };
  std::vector<frame> frames;
  for (std::size_t c = 0; c < carriers.size(); ++c) {
    frames.push_back({c, own_values(world, c)});
    if (carriers[c].own_values.empty()) continue;
    for (std::size_t f = 1; f < settings.fills_per_carrier; ++f)
      frames.push_back({c, random_values(world, c, inventory)});
  }
  std::vector<std::uint32_t> rank_order(frames.size());
  for (std::size_t i = 0; i < rank_order.size(); ++i) rank_order[i] = static_cast<std::uint32_t>(i);
  inventory.shuffle(rank_order);
  frugal::detail::random_source random(settings.seed, 0x51a1);
  std::vector<double> cumulative(frames.size());
  double total = 0.0;
  for (std::size_t rank = 0; rank < frames.size(); ++rank) {
    total += 1.0 / std::pow(double(rank + 1), settings.zipf_exponent);
    cumulative[rank] = total;
  }
  const auto pick_frame = [&]() -> const frame& {
    const double u = random.unit() * total;
    std::size_t rank = static_cast<std::size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
    rank = std::min(rank, frames.size() - 1);
    return frames[rank_order[rank]];
  };

  std::vector<std::vector<std::size_t>> group_heads(world.groups().size());
  for (std::size_t g = 0; g < world.groups().size(); ++g)
    for (const std::size_t c : world.groups()[g])
      if (!carriers[c].tail) group_heads[g].push_back(c);
  const auto rephrase_carrier = [&](std::size_t current) {
    const std::size_t group = carriers[current].group;
    const std::vector<std::size_t>& members = world.groups()[group];
    if (members.size() == 1) return current;  // nothing else to say: the user repeats
    std::vector<std::size_t> candidates;
    if (random.unit() < settings.head_rephrase_share)
      for (const std::size_t c : group_heads[group])
        if (c != current) candidates.push_back(c);
    if (candidates.empty())
      for (const std::size_t c : members)
        if (c != current) candidates.push_back(c);
    return candidates[random.below(candidates.size())];
  };

  // The NLU is deterministic: one prediction per distinct token sequence.
  std::unordered_map<std::string, nlu_hypothesis> predictions;
  const auto predict = [&](const std::vector<std::string>& tokens) -> const nlu_hypothesis& {
    std::string key = join(tokens);
    auto found = predictions.find(key);
    if (found == predictions.end())
      found = predictions.emplace(std::move(key), model.predict(tokens)).first;
    return found->second;
  };

  simulated_log log;
  std::vector<double> clock(settings.users);
  for (std::size_t u = 0; u < settings.users; ++u) clock[u] = 3600.0 * random.unit();
  std::size_t session_count = 0;
  while (log.turns.size() < settings.turns) {
    const std::size_t user = random.below(settings.users);
    const std::string user_name = fmt::format("u{:04}", user);
    const std::string session_name = fmt::format("s{:06}", session_count++);
    double time = clock[user] + 600.0 + 7200.0 * random.unit();
    const std::size_t requests = 1 + random.below(settings.max_requests_per_session);
    for (std::size_t r = 0; r < requests; ++r) {
      const frame& chosen = pick_frame();
      std::size_t carrier = chosen.carrier;
      ++log.requests;
      bool done = false;
      for (std::size_t attempt = 1; attempt <= settings.max_attempts && !done; ++attempt) {
        if (attempt > 1) carrier = rephrase_carrier(carrier);
        simulated_turn t;
        t.truth = world.fill(carrier, chosen.values);
        t.tail = carriers[carrier].tail;
        t.attempt = attempt;
        t.noisy = random.unit() < settings.noise_rate;
        if (t.noisy) {
          const std::size_t at = random.below(t.truth.tokens.size());
          t.truth.tokens[at] = noised_word(t.truth.tokens[at], random);
        }
        t.logged.asr_confidence =
            rounded(t.noisy ? 0.45 + 0.35 * random.unit() : 0.85 + 0.15 * random.unit(), 0.001);
        t.logged.user = user_name;
        t.logged.session = session_name;
        t.logged.time = rounded(time, 0.001);
        t.logged.tokens = t.truth.tokens;
        t.logged.text = join(t.truth.tokens);
        t.logged.nlu = predict(t.truth.tokens);
        t.logged.nlu.confidence = rounded(t.logged.nlu.confidence, 1e-6);
        const bool right = nlu_model::correct(t.logged.nlu, t.truth);
        t.logged.friction = !right;
        if (right) {
          t.logged.status = "200";
        } else {
          const double u = random.unit();
          t.logged.status =
              u < settings.wrong_action_share ? "200"
              : u < settings.wrong_action_share + 0.6 * (1 - settings.wrong_action_share)
                  ? "no_match"
                  : "error";
        }
        if (attempt == 1 && !right) ++log.failed_requests;
        if (attempt > 1 && right) ++log.chains;
        if (!right && attempt == settings.max_attempts) ++log.gave_up;
        done = right;
        log.turns.push_back(std::move(t));
        time += 2.0 + 10.0 * random.unit();  // a rephrase comes seconds later
      }
      time += 20.0 + 200.0 * random.unit();  // the next request, sometimes past the pairing window
    }
    clock[user] = time;
  }
  std::stable_sort(log.turns.begin(), log.turns.end(),
                   [](const simulated_turn& a, const simulated_turn& b) {
                     if (a.logged.time != b.logged.time) return a.logged.time < b.logged.time;
                     return a.logged.user < b.logged.user;
                   });
  for (std::size_t i = 0; i < log.turns.size(); ++i) {
    log.turns[i].logged.id = fmt::format("t{}", i + 1);
    log.turns[i].logged.line = i + 1;
  }
  return log;
}

std::string simulated_log_text(const simulated_log& log) {
  std::string text;
  for (const simulated_turn& t : log.turns) {
    const turn& l = t.logged;
    json line{{"id", l.id},
              {"user", l.user},
              {"session", l.session},
              {"time", l.time},
              {"text", l.text},
              {"asr_confidence", l.asr_confidence},
              {"nlu",
               {{"intent", l.nlu.intent},
                {"slots", detail::slots_json(l.nlu.slots)},
                {"confidence", l.nlu.confidence}}},
              {"status", l.status},
              {"friction", l.friction.value_or(false)},
              {"truth", detail::utterance_json(t.truth)}};
    text += line.dump();
    text += '\n';
  }
  return text;
}

// ---- evaluation -------------------------------------------------------------------------------

double error_comparison::error_before() const {
  return utterances == 0 ? 0.0 : double(errors_before) / double(utterances * models);
}
double error_comparison::error_after() const {
  return utterances == 0 ? 0.0 : double(errors_after) / double(utterances * models);
}
double error_comparison::relative_reduction() const {
  return errors_before == 0 ? 0.0 : 1.0 - double(errors_after) / double(errors_before);
}
double evaluation_report::precision() const {
  return kept == 0 ? 0.0 : double(kept_correct) / double(kept);
}

namespace {

// Paired outcomes (error before, error after) of one test set, and the comparison with a
// percentile bootstrap on the relative reduction.
struct paired_errors {
  std::size_t models = 1;
  std::vector<std::uint8_t> before, after;  ///< per utterance: models that got it wrong
  void add(std::size_t wrong_before, std::size_t wrong_after) {
    before.push_back(static_cast<std::uint8_t>(wrong_before));
    after.push_back(static_cast<std::uint8_t>(wrong_after));
  }
  error_comparison summary(std::uint64_t seed) const {
    error_comparison c;
    c.utterances = before.size();
    c.models = models;
    for (std::size_t i = 0; i < before.size(); ++i) {
      c.errors_before += before[i];
      c.errors_after += after[i];
    }
    if (c.errors_before == 0 || before.empty()) return c;
    frugal::detail::random_source random(seed, 0xb007);
    constexpr std::size_t resamples = 1000;
    std::vector<double> reductions;
    reductions.reserve(resamples);
    for (std::size_t r = 0; r < resamples; ++r) {
      std::size_t b = 0, a = 0;
      for (std::size_t i = 0; i < before.size(); ++i) {
        const std::size_t at = random.below(before.size());
        b += before[at];
        a += after[at];
      }
      if (b > 0) reductions.push_back(1.0 - double(a) / double(b));
    }
    if (reductions.empty()) return c;
    std::sort(reductions.begin(), reductions.end());
    const auto quantile = [&](double q) {
      return reductions[std::min(reductions.size() - 1,
                                 static_cast<std::size_t>(q * double(reductions.size())))];
    };
    c.reduction_low = quantile(0.025);
    c.reduction_high = quantile(0.975);
    return c;
  }
};

// `utterance` with each slot's words replaced by a random observed value of its type.
annotated_utterance refilled(const simulation_world& world, const annotated_utterance& utterance,
                             frugal::detail::random_source& random) {
  annotated_utterance out;
  out.intent = utterance.intent;
  std::size_t next = 0;
  for (const slot_span& slot : utterance.slots) {
    out.tokens.insert(out.tokens.end(), utterance.tokens.begin() + next,
                      utterance.tokens.begin() + slot.start);
    const auto& pool = world.values_of(slot.type);
    const auto start = static_cast<std::uint32_t>(out.tokens.size());
    if (pool.empty()) {
      out.tokens.insert(out.tokens.end(), utterance.tokens.begin() + slot.start,
                        utterance.tokens.begin() + slot.end);
    } else {
      const auto& value = pool[random.below(pool.size())];
      out.tokens.insert(out.tokens.end(), value.begin(), value.end());
    }
    out.slots.push_back({slot.type, start, static_cast<std::uint32_t>(out.tokens.size())});
    next = slot.end;
  }
  out.tokens.insert(out.tokens.end(), utterance.tokens.begin() + next, utterance.tokens.end());
  return out;
}

// Calls task(i) for every i in [0, count) on up to hardware_concurrency() threads. Each task
// writes only its own results, so what comes out does not depend on the threads. The first
// exception a task throws is rethrown here, once every thread has stopped.
void for_each_index_in_parallel(std::size_t count, const std::function<void(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
      }
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), count);
  std::vector<std::thread> helpers;
  for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  if (failure) std::rethrow_exception(failure);
}

// The test sets of one retraining against the deployed models (evaluation_report's rows).
struct error_sets {
  paired_errors head, tail, unseen, all, filled_head, filled_tail;
  explicit error_sets(std::size_t models) {
    for (paired_errors* set : {&head, &tail, &unseen, &all, &filled_head, &filled_tail})
      set->models = models;
  }
  void add_natural(phrase_kind kind, std::size_t before, std::size_t after) {
    all.add(before, after);
    switch (kind) {
      case phrase_kind::head:
        head.add(before, after);
        break;
      case phrase_kind::tail:
        tail.add(before, after);
        break;
      case phrase_kind::unseen:
        unseen.add(before, after);
        break;
    }
  }
  void add_filled(bool tail_carrier, std::size_t before, std::size_t after) {
    (tail_carrier ? filled_tail : filled_head).add(before, after);
  }
  // Each set's bootstrap has its own seed, the same for every retraining compared.
  retraining_errors summary(std::uint64_t seed) const {
    return {head.summary(seed),    tail.summary(seed + 1),        unseen.summary(seed + 2),
            all.summary(seed + 3), filled_head.summary(seed + 4), filled_tail.summary(seed + 5)};
  }
};

// The hand-labelled baseline's additions to the head data: `count` tail carriers drawn at random
// without replacement (all of them when there are fewer), each with its own values and so its
// true annotation, and `fills` refills of each, as the harvest's examples get.
struct labelled_tail_sample {
  std::size_t carriers = 0;  ///< drawn
  std::vector<annotated_utterance> utterances;
};
labelled_tail_sample draw_labelled_tail(const simulation_world& world, std::size_t count,
                                        std::size_t fills, std::uint64_t seed) {
  std::vector<std::size_t> tails;
  for (std::size_t c = 0; c < world.carriers().size(); ++c)
    if (world.carriers()[c].tail) tails.push_back(c);
  labelled_tail_sample sample;
  sample.carriers = std::min(count, tails.size());
  frugal::detail::random_source random(seed, 0x1abe);
  for (std::size_t k = 0; k < sample.carriers; ++k) {
    // Partial Fisher-Yates: tails[k] becomes a uniform draw from the carriers not yet drawn. Not
    // random_source::sample(): the refills draw from the same stream between the picks.
    std::swap(tails[k], tails[k + random.below(tails.size() - k)]);
    const annotated_utterance utterance = world.own_utterance(tails[k]);
    sample.utterances.push_back(utterance);
    for (std::size_t f = 0; f < fills && !utterance.slots.empty(); ++f)
      sample.utterances.push_back(refilled(world, utterance, random));
  }
  return sample;
}

}  // namespace

evaluation_report evaluate_harvest(std::span<const annotated_utterance> train,
                                   std::span<const annotated_utterance> test,
                                   const evaluation_settings& settings,
                                   const evaluation_progress& progress) {
  const auto started = std::chrono::steady_clock::now();
  const auto say = [&](const std::string& stage, std::size_t done, std::size_t total) {
    if (progress) progress(stage, done, total);
  };
  evaluation_report report;
  report.train_utterances = train.size();
  report.test_utterances = test.size();

  say("splitting carriers", 0, 1);
  const simulation_world world = simulation_world::build(train, settings.seed);
  report.head_carriers = world.head_carriers();
  report.tail_carriers = world.tail_carriers();
  const std::vector<annotated_utterance> head_data =
      world.head_training_data(settings.training_fills, settings.seed);
  report.nlu_training_utterances = head_data.size();

  say("training the NLU on the head", 0, 1);
  if (settings.nlu_seeds == 0 || settings.nlu_seeds > 255)
    throw std::invalid_argument("evaluate_harvest: nlu_seeds must be 1..255");
  // The k-th training of either side uses the same seed, and the harvest is appended to the
  // head data, whose examples then keep their epoch order (training_order.hpp): before and after
  // differ by the harvest, not by a reshuffle.
  const auto nlu_with_seed = [&](std::size_t k) {
    nlu_settings nlu = settings.nlu;
    nlu.seed = settings.nlu.seed + 0x9e37'79b9ull * k;
    return nlu;
  };
  std::vector<nlu_model> old_models(settings.nlu_seeds);
  for_each_index_in_parallel(old_models.size(), [&](std::size_t k) {
    old_models[k] = nlu_model::train(head_data, nlu_with_seed(k));
  });
  const nlu_model& old_model = old_models.front();  // the deployed one

  say("training the paraphrase detector", 0, 1);
  synth_pair_settings pair_settings;
  pair_settings.seed = settings.seed;
  pair_settings.pairs_per_utterance = settings.paraphrase_pairs_per_utterance;
  const std::vector<paraphrase_example> pairs = synthesize_pairs(head_data, pair_settings);
  detector_training_settings detector_settings;
  detector_settings.seed = settings.seed;
  const paraphrase_detector paraphrases = paraphrase_detector::train(pairs, detector_settings);
  report.paraphrase_training = paraphrases.training_metrics();

  say("training the friction detector", 0, 1);
  simulation_settings friction_simulation = settings.simulation;
  friction_simulation.turns = settings.friction_turns;
  friction_simulation.seed = settings.simulation.seed ^ 0xf1c7'10c0ull;
  std::vector<turn> friction_turns;
  {
    const simulated_log friction_log = simulate_log(world, old_model, friction_simulation);
    friction_turns.reserve(friction_log.turns.size());
    for (const simulated_turn& t : friction_log.turns) friction_turns.push_back(t.logged);
  }
  const friction_detector frictions = friction_detector::train(friction_turns, detector_settings);
  report.friction_training = frictions.training_metrics();

  say("simulating the deployment", 0, 1);
  const simulated_log log = simulate_log(world, old_model, settings.simulation);
  std::vector<turn> turns;
  turns.reserve(log.turns.size());
  for (const simulated_turn& t : log.turns) turns.push_back(t.logged);
  report.log_turns = turns.size();
  report.log_requests = log.requests;
  report.log_failed_requests = log.failed_requests;
  report.log_chains = log.chains;
  report.friction_on_log = frictions.evaluate(turns);
  {
    // Held-out paraphrase metrics on the log's own candidate pairs, labelled by the truth.
    std::vector<paraphrase_example> log_pairs;
    for (const turn_pair& p : pair_turns(turns, settings.harvest.max_gap)) {
      const annotated_utterance& a = log.turns[p.first].truth;
      const annotated_utterance& b = log.turns[p.second].truth;
      log_pairs.push_back(
          {a.tokens, b.tokens, a.intent == b.intent && slot_values(a) == slot_values(b), "log"});
    }
    report.paraphrase_on_log =
        paraphrases.evaluate(log_pairs, settings.harvest.paraphrase_threshold);
  }

  say("harvesting", 0, 1);
  const harvest_result harvested =
      run_harvest(turns, paraphrases, frictions, settings.harvest,
                  [&](const char* stage, std::size_t done, std::size_t total) {
                    say(std::string("harvesting: ") + stage, done, total);
                  });
  report.harvest = harvested.summary;

  // The truth of each failed utterance: the annotation most of its failed turns carried.
  struct truth_votes {
    std::map<std::string, std::size_t> counts;
    std::vector<std::string> order;
    std::size_t failed_turns = 0;
    bool tail_clean = false;
  };
  std::unordered_map<std::string, truth_votes> failed;
  for (const simulated_turn& t : log.turns) {
    if (!t.logged.friction.value_or(false)) continue;
    truth_votes& votes = failed[utterance_key(t.truth.tokens)];
    const std::string signature = annotation_signature(t.truth);
    if (votes.counts[signature]++ == 0) votes.order.push_back(signature);
    ++votes.failed_turns;
    if (t.tail && !t.noisy) votes.tail_clean = true;
  }
  const auto majority_truth = [](const truth_votes& votes) {
    std::string best;
    std::size_t best_count = 0;
    for (const std::string& signature : votes.order)
      if (votes.counts.at(signature) > best_count) {
        best = signature;
        best_count = votes.counts.at(signature);
      }
    return best;
  };
  // The retraining data: the head data, then the harvest (kept examples and their refills),
  // whose O tags weigh nlu_settings::harvested_o_weight.
  std::vector<annotated_utterance> harvested_data;
  frugal::detail::random_source refill_random(settings.seed, 0x4ef1);
  std::unordered_map<std::string, bool> kept_keys;
  for (const corroborated_example& example : harvested.candidates) {
    if (!example.kept) continue;
    ++report.kept;
    kept_keys[example.key] = true;
    const auto found = failed.find(example.key);
    if (found != failed.end() &&
        majority_truth(found->second) == annotation_signature(example.example))
      ++report.kept_correct;
    harvested_data.push_back(example.example);
    // Like the head data, the harvested phrasing is also learnt with other observed values, so
    // that the model learns the carrier rather than one filling of it.
    for (std::size_t f = 0; f < settings.harvest_fills && !example.example.slots.empty(); ++f)
      harvested_data.push_back(refilled(world, example.example, refill_random));
  }
  report.precision_low = wilson_lower(report.kept_correct, report.kept);
  for (const auto& [key, votes] : failed) {
    if (!votes.tail_clean) continue;
    ++report.failed_tail_utterances;
    const bool kept = kept_keys.count(key) > 0;
    report.harvested_tail_utterances += kept;
    if (votes.failed_turns >= settings.harvest.corroboration.min_occurrences) {
      ++report.frequent_failed_tail_utterances;
      report.harvested_frequent_tail_utterances += kept;
    }
  }

  // The baseline's models are trained like the harvest's, on the head data plus its sample
  // appended, with the same seeds; its labels are true ones, so its O tags weigh 1.
  std::vector<annotated_utterance> baseline_data;
  std::size_t baseline_utterances = 0;
  if (settings.labelled_baseline && report.kept > 0) {
    baseline_data = head_data;
    const labelled_tail_sample sample =
        draw_labelled_tail(world, report.kept, settings.harvest_fills, settings.seed);
    baseline_utterances = sample.carriers;
    baseline_data.insert(baseline_data.end(), sample.utterances.begin(), sample.utterances.end());
  }
  say(baseline_data.empty() ? "retraining the NLU with the harvest"
                            : "retraining the NLU with the harvest and with hand-labelled tail "
                              "utterances",
      0, 1);
  const std::size_t seeds = settings.nlu_seeds;
  std::vector<nlu_model> new_models(seeds), baseline_models(baseline_data.empty() ? 0 : seeds);
  for_each_index_in_parallel(seeds + baseline_models.size(), [&](std::size_t task) {
    if (task < seeds)
      new_models[task] = nlu_model::train(head_data, harvested_data, nlu_with_seed(task));
    else
      baseline_models[task - seeds] = nlu_model::train(baseline_data, nlu_with_seed(task - seeds));
  });

  say("evaluating", 0, 1);
  // What is judged, in report order: the natural test utterances, then every train carrier
  // filled with slot values of the test split (the phrasings the harvest could teach, said about
  // things the training data never mentioned). The fills are drawn here, in order, so that the
  // models can then judge the utterances in parallel.
  struct judged_utterance {
    annotated_utterance utterance;
    bool filled = false;
    bool tail_carrier = false;               ///< filled ones
    phrase_kind kind = phrase_kind::unseen;  ///< natural ones
  };
  std::vector<judged_utterance> judged;
  for (const annotated_utterance& utterance : test)
    if (loggable(utterance.tokens))
      judged.push_back({utterance, false, false, world.kind_of(utterance)});
  {
    const simulation_world test_world = simulation_world::build(test, settings.seed);
    frugal::detail::random_source random(settings.seed, 0xf111);
    for (std::size_t c = 0; c < world.carriers().size(); ++c) {
      const auto& carrier = world.carriers()[c];
      values_map values;
      bool complete = true;
      for (const std::string& type : carrier.slot_types) {
        if (type.empty()) continue;
        const auto& pool = test_world.values_of(type);
        if (pool.empty()) {
          complete = false;
          break;
        }
        values[type].push_back(pool[random.below(pool.size())]);
      }
      if (complete) judged.push_back({world.fill(c, values), true, carrier.tail});
    }
  }
  // Per utterance, how many of each side's models got it wrong.
  std::vector<std::uint8_t> wrong_before(judged.size()), wrong_after(judged.size()),
      wrong_baseline(judged.size());
  const auto wrong_count = [](const std::vector<nlu_model>& models,
                              const annotated_utterance& utterance) {
    std::uint8_t wrong = 0;
    for (const nlu_model& model : models)
      wrong += !nlu_model::correct(model.predict(utterance.tokens), utterance);
    return wrong;
  };
  for_each_index_in_parallel(judged.size(), [&](std::size_t i) {
    wrong_before[i] = wrong_count(old_models, judged[i].utterance);
    wrong_after[i] = wrong_count(new_models, judged[i].utterance);
    wrong_baseline[i] = wrong_count(baseline_models, judged[i].utterance);
  });
  error_sets harvest_errors(seeds), baseline_errors(seeds);
  for (std::size_t i = 0; i < judged.size(); ++i) {
    const auto add = [&](error_sets& sets, std::uint8_t after) {
      if (judged[i].filled)
        sets.add_filled(judged[i].tail_carrier, wrong_before[i], after);
      else
        sets.add_natural(judged[i].kind, wrong_before[i], after);
    };
    add(harvest_errors, wrong_after[i]);
    if (!baseline_models.empty()) add(baseline_errors, wrong_baseline[i]);
  }
  report.errors = harvest_errors.summary(settings.seed);
  if (!baseline_models.empty())
    report.labelled_baseline = {baseline_utterances, baseline_errors.summary(settings.seed)};
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace frugal::harvest
