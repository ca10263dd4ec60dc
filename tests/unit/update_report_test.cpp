// The update report (frugal/report/update_report.hpp): small inputs built by hand, rendered, and
// the page checked for self-containment (no URL, no script), for escaping of data, for the
// sections' content (regions, metrics, per-class flips, flipped items and the row cap), and for
// well-formedness with a small tag-nesting checker.

#include "frugal/report/update_report.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace frugal::report {
namespace {

// Strings with every character HTML must escape.
const std::string awkward_id = "<b>&\"x\"";
const std::string awkward_id_escaped = "&lt;b&gt;&amp;&quot;x&quot;";
const std::string awkward_class = "cats & <dogs>";
const std::string awkward_class_escaped = "cats &amp; &lt;dogs&gt;";

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
  static const std::set<std::string, std::less<>> void_elements = {"meta", "br", "hr", "img"};
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
      return fmt::format("bad tag <{}>", tag);
    if (closing) {
      if (open.empty() || open.back() != name)
        return fmt::format("</{}> closes <{}>", name, open.empty() ? "" : open.back());
      open.pop_back();
    } else if (!tag.ends_with("/") && !void_elements.contains(name)) {
      open.push_back(name);
    }
  }
  return open.empty() ? std::string() : fmt::format("<{}> left open", open.back());
}

void expect_self_contained(const std::string& page) {
  EXPECT_TRUE(page.starts_with("<!doctype html>\n"));
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_EQ(page.find("xmlns"), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(nesting_error(page), "");
}

update_report_item flip(std::string id, bool negative) {
  return {std::move(id), "cat", "dog", negative ? "cat" : "dog", "some text", negative};
}

// A fully labelled update: both_wrong unset (its note says why), three classes (one without
// flips, one with an awkward name), three flipped items (one with an awkward id).
update_report_input small_input() {
  update_report_input input;
  input.title = "Update <v1> & v2";
  input.old_source = "old.csv";
  input.new_source = "new.csv";
  input.labels_source = "labels.csv";
  input.confidence = 0.95;
  input.items = 5000;
  input.labelled = 1200;
  input.disagreements = 321;
  input.both_wrong = {"both wrong", std::nullopt, std::nullopt, std::nullopt,
                      "needs labels for items where the models agree"};
  input.only_old_wrong = {"only old wrong", 0.031, 0.0262, 0.0364, ""};
  input.only_new_wrong = {"only new wrong", 0.0123, 0.0095, 0.0158, ""};
  input.metrics = {
      {"NFR", 0.0123, 0.0095, 0.0158, ""},
      {"PFR", 0.031, 0.0262, 0.0364, ""},
      {"old accuracy", std::nullopt, std::nullopt, std::nullopt, "no labels for agreements"},
  };
  input.classes_basis = "the true class of each labelled item";
  input.classes = {
      {"shirt", 400, 12, 0.03, 0.0172, 0.0517},
      {awkward_class, 300, 3, 0.01, 0.0034, 0.0289},
      {"never-flipped", 500, 0, 0.0, 0.0, 0.0074},
  };
  input.flipped = {flip(awkward_id, true), flip("item-2", true), flip("item-9", false)};
  input.certificate = "NFR <= 0.0158 at 95%";
  input.gate = "pass: NFR upper bound 0.0158 <= 0.02";
  return input;
}

TEST(UpdateReport, is_self_contained_and_well_formed) {
  const std::string page = update_report_html(small_input());
  expect_self_contained(page);
  for (const std::string_view id : {"regions", "metrics", "classes", "flipped"})
    EXPECT_NE(section(page, id), "") << id;
  EXPECT_GE(count(page, "<svg"), 2u);  // the regions and the per-class chart
}

TEST(UpdateReport, escapes_data_strings) {
  const std::string page = update_report_html(small_input());
  EXPECT_EQ(page.find(awkward_id), std::string::npos);
  EXPECT_NE(
      section(page, "flipped").find(fmt::format("<td class=\"id\">{}</td>", awkward_id_escaped)),
      std::string::npos);
  EXPECT_EQ(page.find(awkward_class), std::string::npos);
  EXPECT_NE(page.find(awkward_class_escaped), std::string::npos);
  EXPECT_EQ(page.find("<v1>"), std::string::npos);
  EXPECT_NE(page.find("<h1>Update &lt;v1&gt; &amp; v2</h1>"), std::string::npos);
  EXPECT_NE(page.find("NFR &lt;= 0.0158 at 95%"), std::string::npos);
}

TEST(UpdateReport, header_shows_sources_counts_and_verdict) {
  const std::string page = update_report_html(small_input());
  for (const std::string_view text :
       {"<dd>old.csv</dd>", "<dd>new.csv</dd>", "<dd>labels.csv</dd>", "<dd>5,000</dd>",
        "<dd>1,200</dd>", "<dd>321 (6.4% of the items)</dd>", "<dd>95%</dd>",
        "a fully labelled set", "pass: NFR upper bound 0.0158 &lt;= 0.02"})
    EXPECT_NE(page.find(text), std::string::npos) << text;
  EXPECT_EQ(page.find("disagreement sample"), std::string::npos);

  update_report_input sampled = small_input();
  sampled.sampled = true;
  sampled.certificate.reset();
  sampled.gate.reset();
  const std::string sampled_page = update_report_html(sampled);
  EXPECT_NE(sampled_page.find("a disagreement sample"), std::string::npos);
  EXPECT_EQ(sampled_page.find("<dt>Gate</dt>"), std::string::npos);
  EXPECT_EQ(sampled_page.find("<dt>Certificate</dt>"), std::string::npos);
}

TEST(UpdateReport, unset_region_is_not_estimated_not_zero) {
  const std::string regions = section(update_report_html(small_input()), "regions");
  EXPECT_NE(regions.find("<td>both wrong</td><td class=\"unset\" colspan=\"3\">not estimated: "
                         "needs labels for items where the models agree</td>"),
            std::string::npos);
  EXPECT_NE(regions.find(">not estimated</text>"), std::string::npos);  // in the chart
  EXPECT_NE(regions.find("<td class=\"number\">0.0310</td><td class=\"number\">[0.0262, "
                         "0.0364]</td>"),
            std::string::npos);
  EXPECT_NE(regions.find("<td class=\"number\">0.0123</td><td class=\"number\">[0.0095, "
                         "0.0158]</td>"),
            std::string::npos);
  EXPECT_EQ(regions.find("<td>both wrong</td><td class=\"number\">0.0000"), std::string::npos);
}

TEST(UpdateReport, metrics_table_prints_values_intervals_and_notes) {
  const std::string metrics = section(update_report_html(small_input()), "metrics");
  EXPECT_NE(metrics.find("<tr><td>NFR</td><td class=\"number\">0.0123</td>"
                         "<td class=\"number\">[0.0095, 0.0158]</td>"),
            std::string::npos);
  EXPECT_NE(metrics.find("<tr><td>PFR</td><td class=\"number\">0.0310</td>"), std::string::npos);
  EXPECT_NE(metrics.find("<tr><td>old accuracy</td><td class=\"unset\" colspan=\"3\">not "
                         "estimated: no labels for agreements</td></tr>"),
            std::string::npos);
}

TEST(UpdateReport, lists_every_class_with_basis_and_charts_flipped_ones) {
  const std::string classes = section(update_report_html(small_input()), "classes");
  EXPECT_NE(classes.find("the true class of each labelled item"), std::string::npos);
  EXPECT_NE(classes.find("<tr><td>shirt</td><td class=\"number\">400</td><td "
                         "class=\"number\">12</td><td class=\"number\">0.0300</td><td "
                         "class=\"number\">[0.0172, 0.0517]</td></tr>"),
            std::string::npos);
  EXPECT_NE(classes.find(fmt::format("<tr><td>{}</td>", awkward_class_escaped)), std::string::npos);
  EXPECT_NE(classes.find("<tr><td>never-flipped</td><td class=\"number\">500</td><td "
                         "class=\"number\">0</td>"),
            std::string::npos);
  // The chart: a bar for each class with flips, none for the class without.
  const std::string chart = classes.substr(0, classes.find("</svg>"));
  EXPECT_NE(chart.find(">shirt</text>"), std::string::npos);
  EXPECT_NE(chart.find(fmt::format(">{}</text>", awkward_class_escaped)), std::string::npos);
  EXPECT_EQ(chart.find("never-flipped"), std::string::npos);
  EXPECT_EQ(count(chart, "<rect class=\"bar\""), 2u);
}

TEST(UpdateReport, flipped_items_in_order_with_markers) {
  const std::string flipped = section(update_report_html(small_input()), "flipped");
  EXPECT_NE(flipped.find("3 flipped items: 2 negative"), std::string::npos);
  const std::size_t first = flipped.find(awkward_id_escaped);
  const std::size_t second = flipped.find(">item-2<");
  const std::size_t third = flipped.find(">item-9<");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(third, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(count(flipped, "<td class=\"negative-flip\">negative</td>"), 2u);
  EXPECT_EQ(count(flipped, "<td class=\"positive-flip\">positive</td>"), 1u);
  EXPECT_EQ(flipped.find("left out"), std::string::npos);
}

TEST(UpdateReport, caps_the_flipped_table) {
  update_report_input input = small_input();
  input.flipped.clear();
  for (std::size_t i = 0; i < 1005; ++i)
    input.flipped.push_back(flip(fmt::format("id-{}", i), i < 600));
  const std::string page = update_report_html(input);
  expect_self_contained(page);
  const std::string flipped = section(page, "flipped");
  EXPECT_EQ(count(flipped, "<td class=\"id\">"), 1000u);
  EXPECT_NE(flipped.find("<td class=\"id\">id-999</td>"), std::string::npos);
  EXPECT_EQ(flipped.find("<td class=\"id\">id-1000</td>"), std::string::npos);
  EXPECT_NE(flipped.find("\u2026 and 5 more flipped items left out of this table"),
            std::string::npos);
}

TEST(UpdateReport, cuts_long_content_on_a_character_boundary) {
  update_report_input input = small_input();
  std::string content;
  for (int i = 0; i < 400; ++i) content += "\u00e9";  // two bytes each
  input.flipped = {{"long", "a", "b", "a", content, true}};
  const std::string flipped = section(update_report_html(input), "flipped");
  std::string expected;
  for (int i = 0; i < 300; ++i) expected += "\u00e9";
  EXPECT_NE(flipped.find("<td class=\"content\">" + expected + "\u2026</td>"), std::string::npos);
}

TEST(UpdateReport, handles_empty_input) {
  update_report_input input;
  const std::string page = update_report_html(input);
  expect_self_contained(page);
  EXPECT_NE(page.find("<h1>Model update report</h1>"), std::string::npos);
  EXPECT_NE(section(page, "flipped").find("No flipped items."), std::string::npos);
  EXPECT_NE(section(page, "classes").find("No per-class figures."), std::string::npos);
  EXPECT_NE(section(page, "metrics").find("No metrics."), std::string::npos);
  EXPECT_EQ(count(section(page, "regions"), ">not estimated</text>"), 3u);
  EXPECT_EQ(count(section(page, "regions"), "colspan=\"3\">not estimated</td>"), 3u);
  EXPECT_EQ(section(page, "regions").find("0.0000"), std::string::npos);
}

TEST(UpdateReport, zero_flips_in_every_class_draws_no_chart) {
  update_report_input input = small_input();
  for (update_report_class& group : input.classes) group.negative_flips = 0;
  const std::string classes = section(update_report_html(input), "classes");
  EXPECT_EQ(classes.find("<svg"), std::string::npos);
  EXPECT_NE(classes.find("No class has a negative flip."), std::string::npos);
  EXPECT_NE(classes.find("<tr><td>shirt</td>"), std::string::npos);
}

}  // namespace
}  // namespace frugal::report
