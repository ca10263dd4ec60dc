// frugal plan: sample sizes per set and the items to annotate.

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/io/plan_file.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::cli {
namespace {

struct plan_command {
  prediction_options input;
  plan_options planning;
  std::string design = "coordinated";
  std::string out;
  std::string queue;
  bool json = false;

  void run() const {
    io::read_options reading = input.read_options();
    reading.keep_content = !queue.empty();
    const io::prediction_table table = io::read_predictions(input.path, reading);
    const sampling::population items(table, input.rule());
    sampling::plan_settings settings = planning.settings(items);
    settings.design = *sampling::parse_design(design);
    const sampling::sample_plan plan = sampling::make_plan(items, settings);
    const io::plan_document document = io::make_plan_document(items, plan);

    // The queue is written from inside the plan's write, while the plan is still a temporary
    // file: a queue that cannot be written then leaves no plan behind and an old one untouched.
    const std::string text = io::plan_to_json(document);
    io::write_file_atomically(out, [&](std::ostream& stream) {
      stream << text;
      if (!queue.empty()) write_queue(items, plan);
    });
    if (json) {
      std::cout << text;
    } else {
      print(items, plan);
    }
  }

  void write_queue(const sampling::population& items, const sampling::sample_plan& plan) const {
    const io::prediction_table& table = items.table();
    std::vector<std::string> needed_by(table.size());
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      for (const std::uint32_t row : plan.sample.sets[s].rows) {
        std::string& sets = needed_by[row];
        const std::string& name = items.set_name(s);
        // paper-resample repeats rows; name each set once.
        if (sets == name || sets.ends_with(";" + name)) continue;
        if (!sets.empty()) sets += ';';
        sets += name;
      }
    }
    const bool coordinated = plan.settings.design == sampling::design_kind::coordinated;
    const bool content = table.content.size() == table.size();
    io::write_file_atomically(queue, [&](std::ostream& stream) {
      stream << "order,id,label,priority,sets" << (content ? ",content" : "") << '\n';
      std::size_t order = 0;
      for (const std::uint32_t row : plan.sample.queue) {
        stream << ++order << ',' << csv_quoted(table.ids[row]) << ",,";
        if (coordinated) {
          stream << fmt::format("{:.17g}", sampling::priority_value(sampling::priority_key(
                                               plan.settings.seed, table.ids[row])));
        }
        stream << ',' << needed_by[row];
        if (content) stream << ',' << csv_quoted(table.content[row]);
        stream << '\n';
      }
    });
  }

  void print(const sampling::population& items, const sampling::sample_plan& plan) const {
    const auto& settings = plan.settings;
    fmt::print(
        "frugal plan: {} items, {} members, ensemble = {}; design {}, seed {}, margin ±{} at {}% "
        "confidence\n\n",
        grouped(items.items()), items.members(), items.rule().to_string(),
        sampling::to_string(settings.design), settings.seed, settings.margin_of_error,
        settings.confidence_level * 100);
    std::size_t width = 8;
    for (std::size_t s = 0; s < items.set_count(); ++s)
      width = std::max(width, items.set_name(s).size());
    fmt::print("{:<{}}  {:>12}  {:>11}  {:>8}\n", "set", width, "positives", "sample size",
               "prior");
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      std::string size = grouped(plan.sample_sizes[s]);
      if (items.positives(s) == 0) size = "undefined";
      fmt::print("{:<{}}  {:>12}  {:>11}  {:>8}\n", items.set_name(s), width,
                 grouped(items.positives(s)), size, settings.prior_precision[s]);
    }
    const double distinct = static_cast<double>(plan.sample.queue.size());
    const double naive = static_cast<double>(plan.naive_sum);
    const auto saving = [&](double baseline) {
      return baseline > 0 ? fmt::format("{:.1f}% fewer", 100.0 * (1.0 - distinct / baseline))
                          : std::string("-");
    };
    fmt::print("\ndistinct items to annotate ({}): {}\n", sampling::to_string(settings.design),
               grouped(plan.sample.queue.size()));
    fmt::print("  naive sum of sample sizes:       {:>10}  ({})\n", grouped(plan.naive_sum),
               saving(naive));
    fmt::print("  independent sampling (expected): {:>10.1f}  ({})\n", plan.expected_independent,
               saving(plan.expected_independent));
    fmt::print("\nwrote {}{}\n", out, queue.empty() ? "" : " and " + queue);
  }
};

}  // namespace

void add_plan_command(CLI::App& app) {
  auto command = std::make_shared<plan_command>();
  CLI::App* sub = app.add_subcommand("plan", "Sample sizes per set and the items to annotate");
  command->input.add(*sub);
  command->planning.add(*sub);
  sub->add_option("--design", command->design,
                  "Sampling design: coordinated, independent, paper-reshuffle, paper-resample")
      ->capture_default_str()
      ->check(CLI::IsMember({"coordinated", "independent", "paper-reshuffle", "paper-resample"}));
  sub->add_option("--out", command->out, "Plan file to write (JSON)")->required();
  sub->add_option(
      "--queue", command->queue,
      "Also write the annotation queue as CSV (order,id,label,priority,sets[,content]); "
      "fill in its label column and pass it to estimate --labels");
  sub->add_flag("--json", command->json, "Print the plan as JSON on stdout instead of a table");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
