#pragma once
/// The harvest simulator and its evaluation (issue 8 point 7).
///
/// World: the carrier phrases of annotated data (an utterance with its slot values cut out),
/// grouped by intent and slot-type multiset. In every group with two or more distinct carriers a
/// seeded shuffle puts half of them (rounded down) in the tail, the rest in the head; a group with
/// one carrier is head. The NLU model is trained on head carriers only (their own utterances
/// plus the same carriers filled with other observed values), so tail carriers are the rare
/// phrasings it has never seen.
///
/// Traffic: users pick frames Zipf-wise from a fixed inventory (a frame = one carrier, the phrase
/// the user tends to say, filled with slot values: its own and `fills_per_carrier - 1` others
/// observed for those types). A turn may get ASR-like noise on one word. The NLU's prediction on
/// the (noisy) tokens is logged; the turn failed (friction) when it is not exactly the truth. On
/// failure the handler answers "no_match", "error" or, sometimes, "200" (a wrong action that
/// looks like success), and the user rephrases seconds later in the same session: the same slot
/// values in another carrier of the same group (mostly a head carrier), up to `max_attempts`
/// tries in all. Each turn carries `truth` and `friction`; the pipeline never reads `truth`.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/nlu.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/pipeline.hpp"

namespace frugal::harvest {

/// Where an utterance's carrier falls relative to a world's split.
enum class phrase_kind { head, tail, unseen };
const char* phrase_kind_name(phrase_kind kind);

/// The carrier key of an utterance: intent, then its normalized words with each slot replaced
/// by "{type}". Two utterances say "the same phrasing" when their keys are equal.
std::string carrier_key(const annotated_utterance& utterance);

class simulation_world {
 public:
  /// Builds carriers, groups, value pools and the head/tail split from `data` (utterances with
  /// an empty token or a token holding white space are left out). Deterministic for a seed.
  static simulation_world build(std::span<const annotated_utterance> data, std::uint64_t seed);

  struct carrier {
    std::string intent;
    std::vector<std::string> pieces;      ///< literal tokens; "" where a slot goes
    std::vector<std::string> slot_types;  ///< per piece: the slot type, or "" for a literal
    std::vector<std::vector<std::string>> own_values;  ///< per slot, in order
    std::string key;                                   ///< carrier_key
    std::size_t group = 0;
    bool tail = false;
  };

  const std::vector<carrier>& carriers() const { return carriers_; }
  /// Carrier indices of each group (in order of first appearance).
  const std::vector<std::vector<std::size_t>>& groups() const { return groups_; }
  std::size_t head_carriers() const;
  std::size_t tail_carriers() const;

  /// Head or tail by the carrier key, unseen when no carrier of the world has it.
  phrase_kind kind_of(const annotated_utterance& utterance) const;

  /// `carrier` filled with slot values: per type, the k-th placeholder of that type takes the
  /// k-th value of that type in `values_by_type`.
  annotated_utterance fill(
      std::size_t carrier,
      const std::unordered_map<std::string, std::vector<std::vector<std::string>>>& values_by_type)
      const;
  /// `carrier` filled with its own values.
  annotated_utterance own_utterance(std::size_t carrier) const;
  /// Observed values of a slot type (distinct by normal form, in order of first appearance).
  const std::vector<std::vector<std::string>>& values_of(const std::string& type) const;

  /// The NLU's training data: every head carrier with its own values and `extra_fills` fills
  /// with other observed values (seeded).
  std::vector<annotated_utterance> head_training_data(std::size_t extra_fills,
                                                      std::uint64_t seed) const;

 private:
  std::vector<carrier> carriers_;
  std::vector<std::vector<std::size_t>> groups_;
  std::unordered_map<std::string, std::size_t> carrier_by_key_;
  std::unordered_map<std::string, std::vector<std::vector<std::string>>> values_;
};

struct simulation_settings {
  std::size_t turns = 150000;  ///< at least this many turns (whole sessions)
  std::size_t users = 500;
  std::uint64_t seed = 1;  ///< the traffic: users, sessions, noise, statuses
  /// The frame inventory and its popularity ranking (what the user population asks for): kept
  /// when only the traffic's seed changes, as for the friction detector's labelled log, which
  /// comes from the same population at another time.
  std::uint64_t frame_seed = 1;
  double zipf_exponent = 1.0;         ///< frame popularity ~ 1 / rank^s
  std::size_t fills_per_carrier = 1;  ///< frames per carrier
  std::size_t max_attempts = 3;       ///< tries per request before the user gives up
  double head_rephrase_share = 0.8;   ///< a rephrase picks a head carrier this often
  double noise_rate = 0.1;            ///< share of turns with one ASR-noised word
  double wrong_action_share = 0.25;   ///< failures the handler reports as "200"
  std::size_t max_requests_per_session = 4;
};

/// One simulated turn: the logged turn (with its friction label) and the truth behind it.
struct simulated_turn {
  turn logged;
  annotated_utterance truth;  ///< tokens = logged.tokens
  bool tail = false;          ///< said with a tail carrier
  bool noisy = false;
  std::size_t attempt = 1;  ///< 1 = the request, 2.. = rephrases
};

struct simulated_log {
  std::vector<simulated_turn> turns;  ///< ordered by time (then user)
  std::size_t requests = 0;
  std::size_t failed_requests = 0;  ///< first attempts the NLU got wrong
  std::size_t chains = 0;           ///< failed first attempts followed by a rephrase that worked
  std::size_t gave_up = 0;          ///< requests that failed max_attempts times
};

/// Simulates traffic against `model`. Deterministic for the settings' seed.
simulated_log simulate_log(const simulation_world& world, const nlu_model& model,
                           const simulation_settings& settings);

/// The log as JSONL (DESIGN.md §4 plus `id`, `friction` and `truth`), one turn a line.
std::string simulated_log_text(const simulated_log& log);

// ---- evaluation -------------------------------------------------------------------------------

struct evaluation_settings {
  simulation_settings simulation;      ///< the deployment traffic
  std::size_t friction_turns = 30000;  ///< the separate labelled log for the friction detector
  std::size_t training_fills = 2;      ///< extra fills per head carrier in the NLU's data
  /// Extra fills per harvested example in the retraining data (other observed slot values).
  std::size_t harvest_fills = 2;
  /// NLU trainings (seeds) on each side of the before/after comparison. One training is one draw
  /// of the seeded AdaGrad run; the k-th training on each side has the same seed, and the epoch
  /// order keeps the head examples' order when the harvest is appended, so the two sides differ
  /// by the harvest. Errors are averaged over the seeds, so that one draw's luck does not pass for
  /// an effect (the first one is the deployed model that the traffic hits).
  std::size_t nlu_seeds = 3;
  /// Synthetic pairs per head utterance for the paraphrase detector (positives; negatives alike).
  std::size_t paraphrase_pairs_per_utterance = 16;
  nlu_settings nlu;
  harvest_settings harvest;
  std::uint64_t seed = 1;  ///< world split, NLU, detectors (simulation has its own)
  /// Also retrain on the hand-labelled baseline (evaluation_report::labelled_baseline).
  bool labelled_baseline = true;
};

/// Exact-match errors of the old and the new NLU on one set of test utterances.
struct error_comparison {
  std::size_t utterances = 0;
  std::size_t models = 1;         ///< NLU trainings per side (evaluation_settings::nlu_seeds)
  std::size_t errors_before = 0;  ///< summed over the models
  std::size_t errors_after = 0;
  /// Mean over the models of each model's error rate.
  double error_before() const;
  double error_after() const;
  /// 1 - after / before (0 when before is 0).
  double relative_reduction() const;
  /// A 95% percentile-bootstrap interval on relative_reduction (paired resampling of utterances,
  /// each carrying its error count over the models; seeded).
  double reduction_low = 0.0;
  double reduction_high = 0.0;
};

/// Exact-match errors of one retraining against the deployed models, per set of test
/// utterances: natural test utterances by their carrier (a head or tail carrier of the train
/// split, or unseen) and all of them, and every head or tail carrier of the train split filled
/// with slot values observed in the test split.
struct retraining_errors {
  error_comparison test_head, test_tail, test_unseen, test_all;
  error_comparison filled_head, filled_tail;
};

/// What annotating as many tail utterances by hand would have given: the NLU retrained on the
/// head data plus `utterances` tail carriers of the train split, drawn at random without
/// replacement, each with its own values and its true annotation, and refilled as the harvest is
/// (evaluation_settings::harvest_fills). `utterances` is the harvest's kept count (or every tail
/// carrier when there are fewer). The comparisons are against the same deployed models as the
/// harvest's, so the two differ only in what was added to the head data.
struct labelled_tail_baseline {
  std::size_t utterances = 0;
  retraining_errors errors;
};

struct evaluation_report {
  std::size_t train_utterances = 0;
  std::size_t test_utterances = 0;
  std::size_t head_carriers = 0;
  std::size_t tail_carriers = 0;
  std::size_t nlu_training_utterances = 0;

  std::size_t log_turns = 0;
  std::size_t log_requests = 0;
  std::size_t log_failed_requests = 0;
  std::size_t log_chains = 0;
  harvest_summary harvest;

  /// Kept examples whose annotation equals the truth of their utterance (the truth most failed
  /// turns with those tokens carried; ties: the first seen).
  std::size_t kept = 0;
  std::size_t kept_correct = 0;
  double precision() const;
  double precision_low = 0.0;  ///< Wilson 95% lower bound
  /// Distinct clean failed tail utterances in the log, and how many of them were kept.
  std::size_t failed_tail_utterances = 0;
  std::size_t harvested_tail_utterances = 0;
  /// The same among those said at least min_occurrences times (what corroboration can reach).
  std::size_t frequent_failed_tail_utterances = 0;
  std::size_t harvested_frequent_tail_utterances = 0;

  detector_metrics paraphrase_training;  ///< held out from the synthetic pairs
  detector_metrics paraphrase_on_log;    ///< candidate pairs of the deployment log
  detector_metrics friction_training;    ///< held out from the friction log
  detector_metrics friction_on_log;      ///< every turn of the deployment log

  /// The retraining with the harvest.
  retraining_errors errors;

  /// Present when evaluation_settings::labelled_baseline is set and the harvest kept something.
  std::optional<labelled_tail_baseline> labelled_baseline;
  double seconds = 0.0;
};

/// (stage, done, total) for progress on stderr.
using evaluation_progress = std::function<void(const std::string&, std::size_t, std::size_t)>;

/// The whole experiment: split the train data, train the NLU on the head, train the detectors,
/// simulate the deployment, harvest, retrain with the kept examples (and, for the baseline, with
/// as many hand-labelled tail utterances), compare on the test data. The NLU trainings and the
/// judging of test utterances use every core; the report does not depend on how many there are.
evaluation_report evaluate_harvest(std::span<const annotated_utterance> train,
                                   std::span<const annotated_utterance> test,
                                   const evaluation_settings& settings,
                                   const evaluation_progress& progress = {});

}  // namespace frugal::harvest
