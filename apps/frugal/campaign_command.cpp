// frugal campaign init | next | label | status | report: an annotation campaign in a SQLite file,
// labelled in priority order until every set's precision is known to the margin.

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "common_options.hpp"
#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/status.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/error.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/io/png.hpp"
#include "frugal/report/campaign_report.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::cli {
namespace {

const std::set<std::string> known_metrics = {"precision", "recall", "f1"};

std::string percent(double share) {
  return fmt::format("{:.1f}%", 100.0 * share);
}

void print_finished_sets(const campaign::campaign_state& before,
                         const campaign::campaign_state& after) {
  for (std::size_t s = 0; s < after.sets.size(); ++s) {
    const auto& set = after.sets[s];
    if (set.finished() && !before.sets[s].finished() && set.positives > 0)
      fmt::print("  {} finished after {} labels: precision {:.4f} [{:.4f}, {:.4f}]\n", set.name,
                 *set.finished_after, set.precision, set.interval.lower, set.interval.upper);
  }
  if (after.finished && !before.finished) fmt::print("  the campaign is finished\n");
}

struct init_command {
  prediction_options predictions;
  plan_options planning;
  std::string database;
  std::string metrics = "precision";
  std::string images_dir;
  static constexpr std::uintmax_t max_image_bytes = 1 << 20;

  void run() const {
    std::vector<std::string> metric_list = split_list(metrics);
    for (const std::string& metric : metric_list)
      if (!known_metrics.count(metric))
        throw CLI::ValidationError("--metrics", fmt::format("unknown metric \"{}\" (precision, "
                                                            "recall, f1)",
                                                            metric));
    if (std::find(metric_list.begin(), metric_list.end(), "precision") == metric_list.end())
      metric_list.insert(metric_list.begin(), "precision");
    io::read_options reading = predictions.read_options();
    reading.keep_content = true;
    const io::prediction_table table = io::read_predictions(predictions.path, reading);
    const sampling::population items(table, predictions.rule());  // checks the rule fits
    campaign::campaign_settings settings;
    settings.predictions = predictions.path;
    settings.fingerprint = io::fingerprint_hex(table.fingerprint);
    settings.seed = planning.seed;
    settings.margin_of_error = planning.margin;
    settings.confidence_level = planning.confidence;
    settings.ensemble = items.rule().to_string();
    settings.metrics = metric_list;
    settings.created_at = campaign::utc_now();
    std::size_t images_found = 0;
    campaign::store::image_lookup images;
    if (!images_dir.empty()) {
      if (!std::filesystem::is_directory(images_dir))
        throw input_error(images_dir, 0, 0, "is not a directory of item images");
      images = [&](std::string_view id) -> std::optional<std::string> {
        // Only ids that are plain file names: an id never walks out of the directory.
        if (id.empty() || id.front() == '.' || id.find('/') != std::string_view::npos ||
            id.find('\0') != std::string_view::npos)
          return std::nullopt;
        const std::filesystem::path file =
            std::filesystem::path(images_dir) / (std::string(id) + ".png");
        std::error_code error;
        if (!std::filesystem::is_regular_file(file, error)) return std::nullopt;
        if (std::filesystem::file_size(file, error) > max_image_bytes)
          throw input_error(file.string(), 0, 0,
                            fmt::format("is larger than {} bytes", max_image_bytes));
        std::string bytes = io::read_whole_file(file.string());
        if (!io::looks_like_png(bytes))
          throw input_error(file.string(), 0, 0, "is not a PNG image");
        ++images_found;
        return bytes;
      };
    }
    const campaign::store created = campaign::store::create(database, table, settings, images);
    const campaign::campaign_state state =
        campaign::evaluate(created, campaign::resolve_labels(created, {}));
    fmt::print("frugal campaign: {} created from {} ({} items, {} members, ensemble = {})\n",
               database, predictions.path, grouped(items.items()), items.members(),
               settings.ensemble);
    fmt::print("  target ±{} at {}% confidence for {} sets; metrics {}\n", settings.margin_of_error,
               settings.confidence_level * 100, items.set_count(), fmt::join(metric_list, ","));
    if (!images_dir.empty())
      fmt::print("  {} item images stored from {}\n", grouped(images_found), images_dir);
    fmt::print(
        "  a fixed-n coordinated plan would label {} items; labelling starts with `frugal "
        "next {}`\n",
        grouped(state.fixed_n_coordinated), database);
  }
};

struct next_command {
  std::string database;
  std::size_t batch = 20;
  bool json = false;

  void run() const {
    const campaign::store campaign = campaign::store::open(database);
    const auto labels = campaign::resolve_labels(campaign, campaign.labels());
    const campaign::campaign_state state = campaign::evaluate(campaign, labels);
    const std::vector<std::size_t> rows = campaign::next_rows(state, labels, batch);
    const io::prediction_table& table = campaign.items();
    const sampling::population items(table,
                                     sampling::ensemble_rule::parse(campaign.settings().ensemble));
    auto needed_by = [&](std::size_t row) { return campaign::sets_needing(items, state, row); };
    const bool content = table.content.size() == table.size() && table.size() > 0;
    if (json) {
      nlohmann::ordered_json root;
      root["finished"] = state.finished;
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const std::size_t row : rows) {
        nlohmann::ordered_json item;
        item["id"] = table.ids[row];
        item["sets"] = needed_by(row);
        if (labels.by_row[row] == campaign::resolved_labels::tied) item["tied"] = true;
        if (content) item["content"] = table.content[row];
        list.push_back(std::move(item));
      }
      root["items"] = std::move(list);
      std::cout << root.dump(2) << '\n';
      return;
    }
    if (rows.empty()) {
      std::cerr << (state.finished ? "frugal next: the campaign is finished; see frugal status\n"
                                   : "frugal next: nothing to label\n");
      return;
    }
    // A labels file with the label column empty: fill it in and pass it to `frugal label`.
    std::cout << "id,label,sets" << (content ? ",content" : "") << '\n';
    for (const std::size_t row : rows) {
      std::cout << csv_quoted(table.ids[row]) << ",,"
                << csv_quoted(fmt::format("{}", fmt::join(needed_by(row), " ")));
      if (content) std::cout << ',' << csv_quoted(table.content[row]);
      std::cout << '\n';
    }
  }
};

struct label_command {
  std::string database;
  std::string labels_path;
  std::string from_column;
  std::string predictions_path;
  std::string annotator = "gold";
  std::size_t batch = 20;
  std::size_t max_labels = 0;
  bool json = false;

  void run() const {
    campaign::store campaign = campaign::store::open(database);
    if (!from_column.empty())
      simulate(campaign);
    else
      import_file(campaign);
  }

  void import_file(campaign::store& campaign) const {
    const io::prediction_table& table = campaign.items();
    const io::id_index index(table);
    const std::string text = io::read_whole_file(labels_path);
    std::vector<campaign::store::pending_label> pending;
    io::for_each_label_line(text, labels_path, [&](const io::label_line& line) {
      const std::ptrdiff_t row = index.find(line.id);
      if (row < 0)
        throw input_error(labels_path, line.line, line.id_column,
                          fmt::format("id \"{}\" is not an item of the campaign {} (made from {})",
                                      line.id, database, campaign.settings().predictions));
      if (line.label != 0 && line.label != 1) return;
      pending.push_back({static_cast<std::size_t>(row), std::string(line.annotator), line.label,
                         line.line, line.label_column});
    });
    campaign::labels_outcome before = campaign::evaluate_with(campaign, campaign.labels(), {});
    const campaign::campaign_state after =
        campaign::evaluate_with(campaign, std::move(before.labels), pending).state;
    const campaign::import_summary summary = campaign.import_labels(
        labels_path, pending, before.state.needed, campaign::finishing_events(before.state, after));
    report(summary, before.state, after);
  }

  void simulate(campaign::store& campaign) const {
    if (from_column != "label")
      throw CLI::ValidationError(
          "--from-column",
          fmt::format("\"{}\": only the predictions' label column is kept in a campaign",
                      from_column));
    const io::prediction_table& table = campaign.items();
    // Gold per campaign row: stored at init, or from the predictions file given again.
    std::vector<std::int8_t> gold = table.labels;
    std::string gold_source = campaign.settings().predictions;
    if (!predictions_path.empty()) {
      io::read_options reading;
      reading.models = table.model_names;
      reading.parent_column = table.parent_column;
      const io::prediction_table given = io::read_predictions(predictions_path, reading);
      if (given.fingerprint != table.fingerprint)
        throw input_error(
            predictions_path, 0, 0,
            fmt::format("these predictions (fingerprint {}) are not the ones campaign {} was made "
                        "from ({}, fingerprint {})",
                        io::fingerprint_hex(given.fingerprint), database,
                        campaign.settings().predictions, io::fingerprint_hex(table.fingerprint)));
      if (!given.has_labels)
        throw input_error(predictions_path, 1, 1,
                          "no \"label\" column to simulate annotators with");
      const io::id_index index(given);
      gold.assign(table.size(), -1);
      for (std::size_t row = 0; row < table.size(); ++row)
        gold[row] = given.labels[static_cast<std::size_t>(index.find(table.ids[row]))];
      gold_source = predictions_path;
    } else if (!table.has_labels) {
      throw input_error(database, 0, 0,
                        fmt::format("no gold labels: {} had no \"label\" column when the "
                                    "campaign was created (pass it again with --predictions)",
                                    campaign.settings().predictions));
    }
    // The labels stay in memory round after round: the store is written, never read again.
    campaign::labels_outcome current = campaign::evaluate_with(campaign, campaign.labels(), {});
    const campaign::campaign_state first = current.state;
    campaign::import_summary total;
    std::size_t rounds = 0;
    while (max_labels == 0 || total.added < max_labels) {
      std::size_t room = batch;
      if (max_labels != 0) room = std::min(room, max_labels - total.added);
      const std::vector<std::size_t> rows =
          campaign::next_rows(current.state, current.resolved, room);
      if (rows.empty()) break;
      std::vector<campaign::store::pending_label> pending;
      for (const std::size_t row : rows) {
        if (gold[row] < 0)
          throw input_error(
              gold_source, table.lines[row], 1,
              fmt::format("item \"{}\" has no gold label to simulate with", table.ids[row]));
        pending.push_back({row, annotator, gold[row], 0, 0});
      }
      campaign::labels_outcome after =
          campaign::evaluate_with(campaign, std::move(current.labels), pending);
      const campaign::import_summary summary =
          campaign.import_labels("column:" + from_column, pending, current.state.needed,
                                 campaign::finishing_events(current.state, after.state));
      total.records += summary.records;
      total.added += summary.added;
      total.repeated += summary.repeated;
      total.unrequested += summary.unrequested;
      total.import_number = summary.import_number;
      current = std::move(after);
      ++rounds;
    }
    if (json) {
      std::cout << nlohmann::ordered_json{{"rounds", rounds},
                                          {"added", total.added},
                                          {"finished", current.state.finished}}
                       .dump(2)
                << '\n';
      return;
    }
    fmt::print("frugal label: {} rounds of up to {} labels from the \"{}\" column: {} labels\n",
               rounds, batch, from_column, grouped(total.added));
    print_finished_sets(first, current.state);
  }

  void report(const campaign::import_summary& summary, const campaign::campaign_state& before,
              const campaign::campaign_state& after) const {
    if (json) {
      std::cout << nlohmann::ordered_json{{"import", summary.import_number},
                                          {"records", summary.records},
                                          {"added", summary.added},
                                          {"repeated", summary.repeated},
                                          {"unrequested", summary.unrequested},
                                          {"finished", after.finished}}
                       .dump(2)
                << '\n';
      return;
    }
    fmt::print("frugal label: import {} from {}: {} labels, {} new, {} already stored",
               summary.import_number, labels_path, grouped(summary.records), grouped(summary.added),
               grouped(summary.repeated));
    if (summary.unrequested > 0)
      fmt::print(
          ", {} for items the campaign did not ask for (kept, not needed by any unfinished set)",
          grouped(summary.unrequested));
    fmt::print("\n");
    print_finished_sets(before, after);
  }
};

struct status_command {
  std::string database;
  std::string rule;
  bool json = false;

  void run() const {
    const campaign::store campaign = campaign::store::open(database);
    const auto labels = campaign::resolve_labels(campaign, campaign.labels());
    const campaign::campaign_state state = campaign::evaluate(campaign, labels);
    std::optional<campaign::rule_estimate> what_if;
    if (!rule.empty()) {
      const sampling::ensemble_rule parsed = sampling::ensemble_rule::parse(rule);
      what_if = campaign::evaluate_rule(campaign, labels, parsed);
    }
    if (json)
      print_json(campaign, state, what_if);
    else
      print(campaign, state, what_if);
  }

  void print_json(const campaign::store& campaign, const campaign::campaign_state& state,
                  const std::optional<campaign::rule_estimate>& what_if) const {
    std::cout << campaign::status_json(campaign, state, what_if, 2) << '\n';
  }

  void print(const campaign::store& campaign, const campaign::campaign_state& state,
             const std::optional<campaign::rule_estimate>& what_if) const {
    const auto& settings = campaign.settings();
    fmt::print("frugal status: {} ({} items from {}, ensemble = {}), target ±{} at {}%\n\n",
               database, grouped(state.items), settings.predictions, settings.ensemble,
               settings.margin_of_error, settings.confidence_level * 100);
    std::size_t width = 8;
    for (const auto& set : state.sets) width = std::max(width, set.name.size());
    if (what_if) width = std::max(width, what_if->rule.size());
    fmt::print("{:<{}}  {:>10}  {:>7}  {:>9}  {:>9}  {:>17}  {:>7}\n", "set", width, "positives",
               "labels", "finished", "precision", "interval", "fixed-n");
    auto row = [&](const campaign::set_progress& set) {
      const std::string finished =
          set.finished_after ? fmt::format("at {}", *set.finished_after) : std::string("no");
      if (set.positives == 0) {
        fmt::print("{:<{}}  {:>10}  {:>7}  {:>9}  {:>9}  {:>17}  {:>7}\n", set.name, width, 0, 0,
                   "-", "-", "no positives", 0);
        return;
      }
      fmt::print("{:<{}}  {:>10}  {:>7}  {:>9}  {:>9.4f}  [{:.4f}, {:.4f}]  {:>7}\n", set.name,
                 width, grouped(set.positives), grouped(set.labelled), finished, set.precision,
                 set.interval.lower, set.interval.upper, grouped(set.fixed_sample_size));
    };
    for (const auto& set : state.sets) row(set);
    if (!state.strata.empty()) {
      fmt::print("\nrecall and F1 (strata by vote count; each stratum's first n_v items):\n");
      fmt::print("{:<{}}  {:>9}  {:>17}  {:>9}  {:>17}\n", "set", width, "recall", "interval", "F1",
                 "interval");
      for (std::size_t s = 0; s < state.sets.size(); ++s) {
        const auto& recall = state.recall[s];
        const auto& f1 = state.f1[s];
        auto cell = [](const campaign::ratio_estimate& value) {
          return value.defined ? fmt::format("{:>9.4f}  [{:.4f}, {:.4f}]", value.value,
                                             value.interval.lower, value.interval.upper)
                               : fmt::format("{:>9}  {:>17}", "-", value.status);
        };
        fmt::print("{:<{}}  {}  {}\n", state.sets[s].name, width, cell(recall), cell(f1));
      }
      for (const auto& stratum : state.strata)
        fmt::print("  stratum votes={}: {} items, sample {}, labelled {}\n", stratum.votes,
                   grouped(stratum.items), grouped(stratum.sample_size), grouped(stratum.labelled));
    }
    const double saved = state.fixed_n_coordinated > 0
                             ? 1.0 - static_cast<double>(state.distinct_labelled) /
                                         static_cast<double>(state.fixed_n_coordinated)
                             : 0.0;
    fmt::print("\ndistinct items labelled: {} ({} label records); {}\n",
               grouped(state.distinct_labelled), grouped(state.label_records),
               state.finished ? "finished" : "still labelling");
    fmt::print(
        "  fixed-n coordinated plan would label {} ({} {}), independent sampling about {}, "
        "naive sum {}\n",
        grouped(state.fixed_n_coordinated), percent(std::abs(saved)),
        !state.finished ? (saved >= 0 ? "fewer so far" : "more so far")
                        : (saved >= 0 ? "saved" : "more"),
        grouped(static_cast<std::size_t>(std::lround(state.independent_expected))),
        grouped(state.naive_sum));
    if (state.annotators > 1 || !state.disagreements.empty()) {
      fmt::print("annotators: {}", state.annotators);
      if (state.observed_agreement)
        fmt::print("; observed agreement {}", percent(*state.observed_agreement));
      if (state.fleiss_kappa) fmt::print("; Fleiss' kappa {:.3f}", *state.fleiss_kappa);
      if (state.cohen_kappa) fmt::print("; Cohen's kappa {:.3f}", *state.cohen_kappa);
      if (state.multiply_labelled_items > 0)
        fmt::print(" (over {} items labelled more than once; point estimates, no interval)",
                   grouped(state.multiply_labelled_items));
      fmt::print("\n");
      std::size_t shown = 0;
      for (const auto& item : state.disagreements) {
        if (shown++ == 10) {
          fmt::print("  ... {} more (see --json)\n", state.disagreements.size() - 10);
          break;
        }
        fmt::print("  {} {}: {} said 1, {} said 0\n", item.tied() ? "tie" : "disagreement", item.id,
                   item.ones, item.zeros);
      }
    }
    if (what_if) {
      fmt::print("\nwhat if the ensemble were {}:\n", what_if->rule);
      row(what_if->set);
      if (what_if->set.finished())
        fmt::print("  the labels already collected suffice for ±{}\n", settings.margin_of_error);
      else if (what_if->more_labels)
        fmt::print("  about {} more labels needed for ±{} (projected at the current estimate)\n",
                   grouped(*what_if->more_labels), settings.margin_of_error);
      else
        fmt::print("  not reachable from this campaign's items\n");
    }
  }
};

struct report_command {
  std::string database;
  std::string html;

  void run() const {
    const campaign::store campaign = campaign::store::open(database);
    const std::vector<campaign::label_record> records = campaign.labels();
    const auto labels = campaign::resolve_labels(campaign, records);
    const campaign::campaign_state state = campaign::evaluate(campaign, labels);
    const std::string page = report::campaign_report_html(campaign, state, records);
    io::write_file_atomically(html, [&](std::ostream& stream) { stream << page; });
    fmt::print("frugal report: wrote {}\n", html);
  }
};

}  // namespace

void add_campaign_commands(CLI::App& app) {
  CLI::App* campaign = app.add_subcommand(
      "campaign",
      "Annotation campaigns in a SQLite file (then the top-level commands frugal next, label, "
      "status, report, serve)");
  campaign->require_subcommand(1);
  auto init = std::make_shared<init_command>();
  CLI::App* init_sub = campaign->add_subcommand(
      "init", "Create a campaign from predictions: priorities, sets and settings in DB");
  init_sub->add_option("DB", init->database, "The campaign file to create (SQLite)")->required();
  init_sub->add_option("--predictions", init->predictions.path, "Predictions (CSV, TSV, JSONL)")
      ->required();
  init->predictions.add_rule_and_models(*init_sub);
  init->planning.add(*init_sub);
  init_sub
      ->add_option("--metrics", init->metrics,
                   "Comma-separated: precision (always), recall, f1 (these add strata of "
                   "predicted negatives by vote count)")
      ->capture_default_str();
  init_sub->add_option(
      "--images", init->images_dir,
      "Directory of item images named <id>.png (PNG only, at most 1 MiB each; items "
      "without a file get no picture), kept in the campaign and shown by frugal "
      "serve");
  init_sub->callback([init] { init->run(); });

  auto next = std::make_shared<next_command>();
  CLI::App* next_sub = app.add_subcommand(
      "next", "The next items to label, in priority order, as a labels file to fill in");
  next_sub->add_option("DB", next->database, "Campaign file")->required();
  next_sub->add_option("--batch", next->batch, "How many items")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  next_sub->add_flag("--json", next->json, "JSON on stdout");
  next_sub->callback([next] { next->run(); });

  auto label = std::make_shared<label_command>();
  CLI::App* label_sub = app.add_subcommand(
      "label", "Import labels (id,label[,annotator]) into a campaign; re-imports are idempotent");
  label_sub->add_option("DB", label->database, "Campaign file")->required();
  CLI::Option* file = label_sub->add_option("LABELS", label->labels_path, "Labels CSV or TSV");
  CLI::Option* column = label_sub->add_option(
      "--from-column", label->from_column,
      "Simulate annotators from the predictions' gold column (must be \"label\"): "
      "label the next batch until the campaign is finished");
  file->excludes(column);
  column->excludes(file);
  label_sub
      ->add_option("--predictions", label->predictions_path,
                   "With --from-column: take the gold labels from this predictions file (same "
                   "ids and votes as the campaign's, checked by fingerprint)")
      ->needs(column);
  label_sub->add_option("--batch", label->batch, "With --from-column: labels per round")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  label_sub
      ->add_option("--max-labels", label->max_labels,
                   "With --from-column: stop after this many new labels (0 = until done)")
      ->capture_default_str();
  label_sub
      ->add_option("--annotator", label->annotator,
                   "With --from-column: the annotator name recorded")
      ->capture_default_str();
  label_sub->add_flag("--json", label->json, "JSON on stdout");
  label_sub->callback([label, label_sub] {
    if (label->labels_path.empty() && label->from_column.empty())
      throw CLI::RequiredError("LABELS or --from-column");
    label->run();
  });

  auto status = std::make_shared<status_command>();
  CLI::App* status_sub = app.add_subcommand(
      "status", "Per set: labels used, precision with its interval, finished or not");
  status_sub->add_option("DB", status->database, "Campaign file")->required();
  status_sub
      ->add_option("--rule", status->rule,
                   "What if: the precision of another ensemble rule (atleast:K, any, all, "
                   "majority, weighted:...) from the labels already collected")
      ->check(rule_syntax_check);
  status_sub->add_flag("--json", status->json, "JSON on stdout");
  status_sub->callback([status] { status->run(); });

  auto report_cmd = std::make_shared<report_command>();
  CLI::App* report_sub = app.add_subcommand("report", "A self-contained HTML report of a campaign");
  report_sub->add_option("DB", report_cmd->database, "Campaign file")->required();
  report_sub->add_option("--html", report_cmd->html, "Output HTML file")->required();
  report_sub->callback([report_cmd] { report_cmd->run(); });
}

}  // namespace frugal::cli
