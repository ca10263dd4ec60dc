// The campaign report (frugal/report/campaign_report.hpp): campaigns built with the store from
// small inline predictions in a fresh temporary directory under /tmp (mkdtemp, removed
// afterwards), rendered, and the page checked for its content (set names, label counts, plan
// sizes computed by campaign::evaluate), for self-containment (no URL, no script), for escaping
// of data, and for well-formedness with a small tag-nesting checker.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/report/campaign_report.hpp"

namespace frugal::report {
namespace {

namespace fs = std::filesystem;

// An id with every character HTML must escape.
const std::string awkward_id = "odd<&\"'>id";
const std::string awkward_id_escaped = "odd&lt;&amp;&quot;&#39;&gt;id";

// `items` items with three members (alpha, beta, gamma) voting by fixed patterns and a gold
// label; the first item's id is awkward_id (quoted in the CSV).
std::string predictions_csv(std::size_t items) {
  std::string csv = "id,alpha,beta,gamma,label\n";
  for (std::size_t i = 0; i < items; ++i) {
    const std::string id = i == 0 ? "\"odd<&\"\"'>id\"" : fmt::format("item-{}", i);
    csv += fmt::format("{},{},{},{},{}\n", id, i % 3 != 0 ? 1 : 0, i % 2 == 0 ? 1 : 0,
                       i % 5 != 1 ? 1 : 0, i % 4 != 3 ? 1 : 0);
  }
  return csv;
}

std::size_t count(std::string_view text, std::string_view needle) {
  std::size_t found = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size()))
    ++found;
  return found;
}

// The text of the section with this id ("" when absent).
std::string section(const std::string& page, std::string_view id) {
  const std::size_t begin = page.find(fmt::format("<section id=\"{}\">", id));
  if (begin == std::string::npos) return {};
  const std::size_t end = page.find("</section>", begin);
  return page.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// Empty when every element is closed in order; otherwise what went wrong. Elements closed with
// "/>" and HTML's void elements need no end tag; text must contain no raw '<' (it is escaped).
std::string nesting_error(std::string_view page) {
  static const std::set<std::string, std::less<>> void_elements = {"meta", "br",    "hr",
                                                                   "img",  "input", "link"};
  std::vector<std::string> open;
  for (std::size_t at = page.find('<'); at != std::string_view::npos; at = page.find('<', at)) {
    const std::size_t end = page.find('>', at);
    if (end == std::string_view::npos) return fmt::format("unterminated tag at {}", at);
    const std::string_view tag = page.substr(at + 1, end - at - 1);
    at = end + 1;
    if (tag.starts_with("!")) continue;  // <!doctype html>
    const bool closing = tag.starts_with("/");
    const std::string_view body = closing ? tag.substr(1) : tag;
    const std::string name(body.substr(0, body.find_first_of(" \n/")));
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        }))
      return fmt::format("not a tag: <{}>", tag);
    if (closing) {
      if (open.empty() || open.back() != name)
        return fmt::format("</{}> closes <{}>", name, open.empty() ? "nothing" : open.back());
      open.pop_back();
    } else if (!tag.ends_with("/") && !void_elements.count(name)) {
      open.push_back(name);
    }
  }
  return open.empty() ? std::string() : fmt::format("<{}> never closed", open.back());
}

// Checks every page must pass.
void expect_self_contained_and_well_formed(const std::string& page) {
  EXPECT_TRUE(page.starts_with("<!doctype html>\n"));
  EXPECT_EQ(page.find("http"), std::string::npos);
  EXPECT_EQ(page.find("//"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  for (const std::string_view element : {"svg", "table", "section", "html", "body", "head"}) {
    EXPECT_EQ(count(page, fmt::format("<{}>", element)) + count(page, fmt::format("<{} ", element)),
              count(page, fmt::format("</{}>", element)))
        << element;
  }
  EXPECT_EQ(nesting_error(page), "");
}

struct rendered {
  campaign::campaign_state state;
  std::string page;
};

class campaign_report_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/frugal-report-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  campaign::store make(std::size_t items, std::vector<std::string> metrics = {"precision"}) const {
    io::read_options reading;
    reading.keep_content = true;
    reading.threads = 1;
    const io::prediction_table table =
        io::parse_predictions(predictions_csv(items), "inline.csv", reading);
    campaign::campaign_settings settings;
    settings.predictions = "inline.csv";
    settings.fingerprint = io::fingerprint_hex(table.fingerprint);
    settings.seed = 11;
    settings.margin_of_error = 0.1;
    settings.confidence_level = 0.9;
    settings.ensemble = "majority";
    settings.metrics = std::move(metrics);
    settings.created_at = "2026-11-23T12:00:00.000Z";
    return campaign::store::create((dir_ / "campaign.db").string(), table, settings);
  }

  // Stores labels by id for one annotator (rows looked up in items(), which is in priority
  // order, not file order).
  static void label(campaign::store& campaign, const std::vector<std::pair<std::string, int>>& ids,
                    const std::string& annotator) {
    const io::id_index index(campaign.items());
    std::vector<campaign::store::pending_label> pending;
    for (const auto& [id, value] : ids) {
      const std::ptrdiff_t row = index.find(id);
      ASSERT_GE(row, 0) << id;
      pending.push_back({static_cast<std::size_t>(row), annotator, value, 0, 0});
    }
    const std::vector<std::uint8_t> requested(campaign.items().size(), 1);
    campaign.import_labels("test", pending, requested, {});
  }

  // The first `how_many` ids in priority order with their gold labels, plus awkward_id.
  static std::vector<std::pair<std::string, int>> gold_prefix(const campaign::store& campaign,
                                                              std::size_t how_many) {
    const io::prediction_table& items = campaign.items();
    std::vector<std::pair<std::string, int>> ids;
    bool awkward_seen = false;
    for (std::size_t row = 0; row < how_many; ++row) {
      ids.emplace_back(std::string(items.ids[row]), items.labels[row]);
      awkward_seen = awkward_seen || items.ids[row] == awkward_id;
    }
    if (!awkward_seen) ids.emplace_back(awkward_id, 1);  // gold of item 0 is 1
    return ids;
  }

  static rendered render(const campaign::store& campaign,
                         const std::vector<campaign::label_record>& labels) {
    rendered result;
    result.state = campaign::evaluate(campaign, campaign::resolve_labels(campaign, labels));
    result.page = campaign_report_html(campaign, result.state, labels);
    return result;
  }
  static rendered render(const campaign::store& campaign) {
    return render(campaign, campaign.labels());
  }

  fs::path dir_;
};

TEST_F(campaign_report_test, shows_sets_label_counts_and_plans) {
  campaign::store campaign = make(60);
  const auto ids = gold_prefix(campaign, 12);
  label(campaign, ids, "ann");
  const rendered report = render(campaign);
  const std::string& page = report.page;
  const campaign::campaign_state& state = report.state;
  ASSERT_EQ(state.distinct_labelled, ids.size());
  ASSERT_EQ(state.sets.size(), 4u);
  ASSERT_GT(state.fixed_n_coordinated, 0u);
  expect_self_contained_and_well_formed(page);

  EXPECT_NE(page.find(campaign.path()), std::string::npos);
  EXPECT_NE(page.find("inline.csv"), std::string::npos);
  EXPECT_NE(page.find("majority"), std::string::npos);
  EXPECT_NE(page.find("2026-11-23T12:00:00.000Z"), std::string::npos);
  EXPECT_NE(page.find("\u00b10.1 at 90% confidence"), std::string::npos);
  EXPECT_NE(page.find(state.finished ? "finished</span>" : "still labelling</span>"),
            std::string::npos);

  // Precision: every set in the chart and the table with its interval.
  const std::string precision = section(page, "precision");
  EXPECT_NE(precision.find("<svg"), std::string::npos);
  for (const campaign::set_progress& set : state.sets) {
    EXPECT_NE(precision.find(fmt::format("<tr><td>{}</td>", set.name)), std::string::npos)
        << set.name;
    EXPECT_NE(precision.find(fmt::format(">{}</text>", set.name)), std::string::npos) << set.name;
    if (set.positives > 0) {
      EXPECT_NE(
          precision.find(fmt::format("[{:.4f}, {:.4f}]", set.interval.lower, set.interval.upper)),
          std::string::npos)
          << set.name;
    }
  }

  // Labels against the fixed-n plans, and per set against its fixed-n sample size.
  const std::string labels = section(page, "labels");
  EXPECT_NE(labels.find("<svg"), std::string::npos);
  EXPECT_NE(labels.find(fmt::format("{0} distinct items labelled ({0} label records)", ids.size())),
            std::string::npos);
  EXPECT_NE(labels.find(fmt::format("<td>fixed-n coordinated</td><td class=\"number\">{}</td>",
                                    state.fixed_n_coordinated)),
            std::string::npos);
  EXPECT_NE(
      labels.find(fmt::format("<td>naive sum</td><td class=\"number\">{}</td>", state.naive_sum)),
      std::string::npos);
  EXPECT_NE(labels.find(fmt::format("<td>independent (expected)</td><td class=\"number\">{:.1f}"
                                    "</td>",
                                    state.independent_expected)),
            std::string::npos);
  for (const campaign::set_progress& set : state.sets)
    EXPECT_NE(labels.find(fmt::format("<tr><td>{}</td><td class=\"number\">{}</td>"
                                      "<td class=\"number\">{}</td>",
                                      set.name, set.labelled, set.fixed_sample_size)),
              std::string::npos)
        << set.name;

  // One import: one time, so a sentence and no chart.
  const std::string timeline = section(page, "timeline");
  EXPECT_NE(timeline.find("at one time"), std::string::npos);
  EXPECT_EQ(timeline.find("<svg"), std::string::npos);

  // No strata without recall or F1; one annotator, no disagreements.
  EXPECT_EQ(page.find("<section id=\"recall\">"), std::string::npos);
  EXPECT_EQ(page.find("class=\"disagreements\""), std::string::npos);
  EXPECT_NE(page.find("No item has disagreeing labels."), std::string::npos);
  EXPECT_EQ(page.find(awkward_id_escaped), std::string::npos);  // ids appear only there
}

TEST_F(campaign_report_test, lists_disagreements_with_escaped_ids) {
  campaign::store campaign = make(60);
  const auto ids = gold_prefix(campaign, 12);
  label(campaign, ids, "ann");
  // bob disagrees on awkward_id and on one other item.
  const std::string other = ids.front().first != awkward_id ? ids.front().first : ids.back().first;
  std::vector<std::pair<std::string, int>> flipped = ids;
  std::size_t flips = 0;
  for (auto& [id, value] : flipped)
    if (id == awkward_id || id == other) {
      value = 1 - value;
      ++flips;
    }
  ASSERT_EQ(flips, 2u);
  label(campaign, flipped, "bob");
  const rendered report = render(campaign);
  const std::string& page = report.page;
  ASSERT_EQ(report.state.disagreements.size(), 2u);
  expect_self_contained_and_well_formed(page);

  const std::string annotators = section(page, "annotators");
  EXPECT_NE(annotators.find("class=\"disagreements\""), std::string::npos);
  EXPECT_NE(annotators.find("2 items whose annotators disagree"), std::string::npos);
  EXPECT_NE(annotators.find(fmt::format("<td class=\"id\">{}</td><td class=\"number\">1</td>"
                                        "<td class=\"number\">1</td><td>tie</td>",
                                        awkward_id_escaped)),
            std::string::npos);
  EXPECT_EQ(page.find(awkward_id), std::string::npos);
  EXPECT_EQ(count(annotators, "<tr><td class=\"id\">"), 2u);
  EXPECT_NE(annotators.find("<dt>Annotators</dt><dd>2</dd>"), std::string::npos);
  ASSERT_TRUE(report.state.cohen_kappa.has_value());
  EXPECT_NE(annotators.find(fmt::format("<dt>Cohen&#39;s kappa</dt><dd>{:.3f}</dd>",
                                        *report.state.cohen_kappa)),
            std::string::npos);
  ASSERT_TRUE(report.state.observed_agreement.has_value());
  EXPECT_NE(annotators.find(fmt::format("{:.1f}%", 100 * *report.state.observed_agreement)),
            std::string::npos);
}

TEST_F(campaign_report_test, caps_the_disagreement_list) {
  campaign::store campaign = make(250);
  std::vector<std::pair<std::string, int>> ones, zeros;
  for (std::size_t row = 0; row < 250; ++row) {
    ones.emplace_back(std::string(campaign.items().ids[row]), 1);
    zeros.emplace_back(std::string(campaign.items().ids[row]), 0);
  }
  label(campaign, ones, "ann");
  label(campaign, zeros, "bob");
  const rendered report = render(campaign);
  ASSERT_EQ(report.state.disagreements.size(), 250u);
  expect_self_contained_and_well_formed(report.page);
  EXPECT_EQ(count(report.page, "<tr><td class=\"id\">"), 200u);
  EXPECT_NE(report.page.find("250 items whose annotators disagree"), std::string::npos);
  EXPECT_NE(report.page.find("and 50 more"), std::string::npos);
}

TEST_F(campaign_report_test, renders_a_campaign_without_labels) {
  const campaign::store campaign = make(30);
  const rendered report = render(campaign);
  expect_self_contained_and_well_formed(report.page);
  EXPECT_NE(report.page.find("<svg"), std::string::npos);
  EXPECT_NE(report.page.find("0 distinct items labelled (0 label records)"), std::string::npos);
  const std::string timeline = section(report.page, "timeline");
  EXPECT_NE(timeline.find("No labels yet"), std::string::npos);
  EXPECT_EQ(timeline.find("<svg"), std::string::npos);
  EXPECT_NE(report.page.find("not defined: no item labelled twice"), std::string::npos);
}

TEST_F(campaign_report_test, charts_labels_over_time_from_parsed_timestamps) {
  const campaign::store campaign = make(30);
  const auto& ids = campaign.items().ids;
  // 00:00Z, 00:30:00.5Z and 03:00+01:00 = 02:00Z: two hours, so the axis is in hours and ends
  // at 2 (a zone offset read wrongly would stretch it to 3). The last record repeats an item.
  const std::vector<campaign::label_record> labels = {
      {std::string(ids[0]), "ann", 1, "2026-01-01T00:00:00Z", 1},
      {std::string(ids[1]), "ann", 0, "2026-01-01T00:00:00Z", 1},
      {std::string(ids[2]), "ann", 1, "2026-01-01T00:30:00.5Z", 2},
      {std::string(ids[3]), "ann", 1, "2026-01-01T03:00:00+01:00", 3},
      {std::string(ids[0]), "bob", 1, "2026-01-01T03:00:00+01:00", 3},
      {std::string(ids[4]), "ann", 1, "not a time", 4},
  };
  const rendered report = render(campaign, labels);
  expect_self_contained_and_well_formed(report.page);
  const std::string timeline = section(report.page, "timeline");
  ASSERT_NE(timeline.find("<svg"), std::string::npos);
  EXPECT_NE(timeline.find("hours since the first label"), std::string::npos);
  // x ticks are centred under the axis, y ticks right-aligned beside it.
  const std::string x_tick = "text-anchor=\"middle\" class=\"tick\">";
  EXPECT_NE(timeline.find(x_tick + "2</text>"), std::string::npos);
  EXPECT_EQ(timeline.find(x_tick + "2.5</text>"), std::string::npos);
  EXPECT_EQ(timeline.find(x_tick + "3</text>"), std::string::npos);
  // A jump from 0 at the start, then one step per later time: 0 -> 2 -> 3 -> 4 items.
  EXPECT_EQ(count(timeline, " H"), 3u);
  EXPECT_NE(timeline.find("4 distinct items labelled between 2026-01-01T00:00:00Z and "
                          "2026-01-01T03:00:00+01:00"),
            std::string::npos);
  EXPECT_NE(timeline.find("1 label records have no readable time"), std::string::npos);
}

TEST_F(campaign_report_test, shows_recall_f1_and_strata_when_requested) {
  campaign::store campaign = make(60, {"precision", "recall", "f1"});
  label(campaign, gold_prefix(campaign, 30), "ann");
  const rendered report = render(campaign);
  ASSERT_FALSE(report.state.strata.empty());
  expect_self_contained_and_well_formed(report.page);
  const std::string recall = section(report.page, "recall");
  ASSERT_FALSE(recall.empty());
  EXPECT_NE(recall.find("class=\"strata\""), std::string::npos);
  for (const campaign::stratum_progress& stratum : report.state.strata)
    EXPECT_NE(recall.find(fmt::format("<tr><td class=\"number\">{}</td><td class=\"number\">{}"
                                      "</td><td class=\"number\">{}</td><td class=\"number\">{}"
                                      "</td>",
                                      stratum.votes, stratum.items, stratum.sample_size,
                                      stratum.labelled)),
              std::string::npos)
        << stratum.votes;
  for (std::size_t s = 0; s < report.state.sets.size(); ++s) {
    const campaign::ratio_estimate& estimate = report.state.recall[s];
    const std::string expected =
        estimate.defined ? fmt::format("<td class=\"number\">{:.4f}</td>", estimate.value)
                         : fmt::format("<td>{}</td>", estimate.status);
    EXPECT_NE(recall.find(expected), std::string::npos) << report.state.sets[s].name;
  }
}

}  // namespace
}  // namespace frugal::report
