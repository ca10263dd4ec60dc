// Retrieval metrics for backward-compatible embeddings (frugal/update/retrieval.hpp): the
// embedding reader and each of its errors with its position, top-1 and AP worked out by hand on
// tiny galleries, ties broken by gallery row order, an item never retrieving itself, and the fast
// blocked, threaded implementation against the one-pair-at-a-time reference on random data.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/update/retrieval.hpp"
#include "update/retrieval_reference.hpp"

namespace frugal::update {
namespace {

// Rows of (id, label, values) as an embedding CSV.
struct row_spec {
  std::string id, label;
  std::vector<float> values;
};

std::string to_csv(const std::vector<row_spec>& rows) {
  std::string text = "id,label";
  for (std::size_t d = 0; d < rows.front().values.size(); ++d) text += fmt::format(",e{}", d);
  text += '\n';
  for (const row_spec& row : rows) {
    text += row.id + ',' + row.label;
    // 9 significant digits: every float reads back as itself.
    for (const float value : row.values) text += fmt::format(",{:.9g}", value);
    text += '\n';
  }
  return text;
}

embeddings make(const std::vector<row_spec>& rows, const std::string& source = "e.csv") {
  return parse_embeddings(to_csv(rows), source);
}

retrieval_options with_threads(unsigned threads, distance_metric metric = distance_metric::l2) {
  retrieval_options options;
  options.threads = threads;
  options.metric = metric;
  return options;
}

// Runs `parse` and checks the input_error's position and that its message contains `part`.
void expect_error(std::string_view text, std::size_t line, std::size_t column,
                  std::string_view part, const std::string& source = "bad.csv") {
  try {
    parse_embeddings(text, source);
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), source) << error.what();
    EXPECT_EQ(error.line(), line) << error.what();
    EXPECT_EQ(error.column(), column) << error.what();
    EXPECT_NE(error.message().find(part), std::string::npos) << error.what();
  }
}

TEST(embeddings_reader, reads_ids_labels_and_values_in_any_column_order) {
  const embeddings table = parse_embeddings(
      "e1,label,id,e0,note\n2.5,ankle boot,test-0,-1e-3,x\n"
      "0,shirt,test-1,7,y\n",
      "e.csv");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.dimension, 2u);
  EXPECT_EQ(table.ids[0], "test-0");
  EXPECT_EQ(table.label(0), "ankle boot");
  EXPECT_EQ(table.label(1), "shirt");
  EXPECT_EQ(table.row(0)[0], -1e-3f);
  EXPECT_EQ(table.row(0)[1], 2.5f);
  EXPECT_EQ(table.row(1)[0], 7.0f);
  EXPECT_EQ(table.lines[1], 3u);
  EXPECT_EQ(table.value_columns, (std::vector<std::size_t>{13, 1}));
}

TEST(embeddings_reader, reads_tsv_by_extension_with_bom_and_crlf) {
  const embeddings table =
      parse_embeddings("\xEF\xBB\xBFid\tlabel\te0\r\na,x,y\t1\t2\r\n", "e.tsv");
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table.label(0), "1");
  EXPECT_EQ(table.row(0)[0], 2.0f);
  EXPECT_EQ(table.ids[0], "a,x,y");
}

TEST(embeddings_reader, errors_name_file_line_and_column) {
  expect_error("", 1, 1, "empty file");
  expect_error("id,label,e0\n", 2, 1, "no rows");
  expect_error("id,e0\na,1\n", 1, 1, "\"label\"");
  expect_error("label,e0\na,1\n", 1, 1, "\"id\"");
  expect_error("id,label\na,b\n", 1, 1, "no embedding columns");
  expect_error("id,label,e0,e2\na,b,1,2\n", 1, 1, "no column \"e1\"");
  expect_error("id,label,e0,e0\na,b,1,2\n", 1, 13, "appears twice");
  expect_error("id,label,e0,e9\na,b,1,2\n", 1, 13, "\"e9\"");
  expect_error("id,label,e0,e1\na,b,1,x2\n", 2, 7, "\"x2\" is not a finite number");
  expect_error("id,label,e0,e1\na,b,1,nan\n", 2, 7, "not a finite number");
  expect_error("id,label,e0,e1\na,b,inf,1\n", 2, 5, "not a finite number");
  expect_error("id,label,e0,e1\na,b,1e39,1\n", 2, 5, "not a finite number");
  expect_error("id,label,e0,e1\na,b,,1\n", 2, 5, "not a finite number");
  expect_error("id,label,e0,e1\na,b,1\n", 2, 1, "expected 4 fields");
  expect_error("id,label,e0\n,b,1\n", 2, 1, "empty id");
  expect_error("id,label,e0\na,,1\n", 2, 3, "empty label");
  expect_error("id,label,e0\na,b,1\nc,b,2\na,b,3\n", 4, 1, "duplicate id \"a\" (first on line 2)");
  expect_error("{\"id\": 1}\n", 1, 1, "not JSONL", "e.jsonl");
}

// One dimension, worked by hand. Gallery: g0 (a) at 1, g1 (b) at 2, g2 (a) at 3, g3 (b) at 4.
//  q0 (a) at 0:   ranking g0 g1 g2 g3 -> relevant at ranks 1, 3: AP = (1/1 + 2/3) / 2 = 5/6; hit
//  q1 (b) at 2.9: distances 1.9, 0.9, 0.1, 1.1 -> ranking g2 g1 g3 g0 -> relevant at ranks 2, 3:
//                 AP = (1/2 + 2/3) / 2 = 7/12; miss
//  q2 (c) at 0:   no relevant item: left out of mAP, a miss, chance 0
// top-1 = 1/3, mAP = (5/6 + 7/12) / 2 = 17/24, chance = (1/2 + 1/2 + 0) / 3 = 1/3.
TEST(retrieval, top1_and_average_precision_by_hand) {
  const embeddings gallery =
      make({{"g0", "a", {1}}, {"g1", "b", {2}}, {"g2", "a", {3}}, {"g3", "b", {4}}}, "gallery.csv");
  const embeddings query =
      make({{"q0", "a", {0}}, {"q1", "b", {2.9f}}, {"q2", "c", {0}}}, "query.csv");
  for (const unsigned threads : {1u, 2u}) {
    const retrieval_metrics m = evaluate_retrieval(query, gallery, with_threads(threads));
    EXPECT_EQ(m.queries, 3u);
    EXPECT_EQ(m.gallery_items, 4u);
    EXPECT_EQ(m.self_matches, 0u);
    EXPECT_EQ(m.top1_hits, 1u);
    EXPECT_DOUBLE_EQ(m.top1, 1.0 / 3);
    EXPECT_EQ(m.queries_without_relevant, 1u);
    EXPECT_DOUBLE_EQ(m.average_precision[0], 5.0 / 6);
    EXPECT_DOUBLE_EQ(m.average_precision[1], 7.0 / 12);
    EXPECT_TRUE(std::isnan(m.average_precision[2]));
    EXPECT_DOUBLE_EQ(m.mean_average_precision, 17.0 / 24);
    EXPECT_DOUBLE_EQ(m.chance_top1, 1.0 / 3);
    EXPECT_EQ(m.nearest, (std::vector<std::uint32_t>{0, 2, 0}));
  }
}

// Query at 0 (label a); gallery rows at equal distance 1: the earlier row ranks first.
TEST(retrieval, ties_are_broken_by_gallery_row_order) {
  const embeddings query = make({{"q", "a", {0}}});
  {
    // b at 1, a at -1, a at 1: ranking b a a -> miss, AP = (1/2 + 2/3) / 2.
    const embeddings gallery = make({{"g0", "b", {1}}, {"g1", "a", {-1}}, {"g2", "a", {1}}});
    const retrieval_metrics m = evaluate_retrieval(query, gallery, with_threads(1));
    EXPECT_EQ(m.nearest[0], 0u);
    EXPECT_EQ(m.top1_hits, 0u);
    EXPECT_DOUBLE_EQ(m.mean_average_precision, 7.0 / 12);
  }
  {
    // The same items, the b row last: ranking a a b -> hit, AP = 1.
    const embeddings gallery = make({{"g1", "a", {-1}}, {"g2", "a", {1}}, {"g0", "b", {1}}});
    const retrieval_metrics m = evaluate_retrieval(query, gallery, with_threads(1));
    EXPECT_EQ(m.nearest[0], 0u);
    EXPECT_EQ(m.top1_hits, 1u);
    EXPECT_DOUBLE_EQ(m.mean_average_precision, 1.0);
  }
  {
    // Cosine: g0 and g2 are the same vector, in the query's direction (equal distances).
    const embeddings cosine_query = make({{"q", "a", {1, 1}}});
    const embeddings gallery =
        make({{"g0", "b", {2, 2}}, {"g1", "a", {1, 0}}, {"g2", "a", {2, 2}}});
    const retrieval_metrics m =
        evaluate_retrieval(cosine_query, gallery, with_threads(1, distance_metric::cosine));
    EXPECT_EQ(m.nearest[0], 0u);
    EXPECT_EQ(m.top1_hits, 0u);
    // ranking g0 (b), g2 (a), g1 (a): AP = (1/2 + 2/3) / 2
    EXPECT_DOUBLE_EQ(m.mean_average_precision, 7.0 / 12);
  }
}

// Leave-one-out: the query file is the gallery. No item's nearest other item is of its class;
// an item retrieving itself (distance 0) would make every query a hit with AP 1.
TEST(retrieval, an_item_never_retrieves_itself) {
  const embeddings items =
      make({{"x0", "a", {0}}, {"x1", "b", {0.4f}}, {"x2", "a", {1}}, {"x3", "b", {1.5f}}});
  // x0: x1(b) 0.4, x2(a) 1 -> miss, AP 1/2. x1: x0(a) .4, x2(a) .6, x3(b) 1.1 -> miss, AP 1/3.
  // x2: x1(b) .6, x3(b) .5, x0(a) 1 -> ranking x3 x1 x0: miss, AP 1/3.
  // x3: x2(a) .5, x1(b) 1.1 -> ranking x2 x1 x0: miss, AP 1/2.
  const retrieval_metrics m = evaluate_retrieval(items, items, with_threads(2));
  EXPECT_EQ(m.self_matches, 4u);
  EXPECT_EQ(m.top1_hits, 0u);
  EXPECT_EQ(m.nearest, (std::vector<std::uint32_t>{1, 0, 3, 2}));
  EXPECT_DOUBLE_EQ(m.mean_average_precision, (1.0 / 2 + 1.0 / 3 + 1.0 / 3 + 1.0 / 2) / 4);
  EXPECT_DOUBLE_EQ(m.chance_top1, 1.0 / 3);
  const retrieval_metrics reference =
      detail::evaluate_retrieval_reference(items, items, distance_metric::l2);
  EXPECT_EQ(reference.nearest, m.nearest);
  EXPECT_EQ(reference.mean_average_precision, m.mean_average_precision);
}

TEST(retrieval, errors) {
  const embeddings two_d = make({{"a", "x", {1, 0}}, {"b", "y", {0, 0}}}, "two.csv");
  const embeddings one_d = make({{"c", "x", {1}}}, "one.csv");
  EXPECT_THROW(evaluate_retrieval(two_d, one_d, with_threads(1)), input_error);
  try {
    evaluate_retrieval(two_d, two_d, with_threads(1, distance_metric::cosine));
    ADD_FAILURE() << "a zero vector with cosine";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "two.csv");
    EXPECT_EQ(error.line(), 3u);
    EXPECT_NE(error.message().find("zero vector"), std::string::npos) << error.what();
  }
  // A gallery holding only the query itself.
  EXPECT_THROW(evaluate_retrieval(one_d, one_d, with_threads(1)), input_error);
  EXPECT_THROW(parse_distance_metric("manhattan"), input_error);
}

TEST(compatibility, items_must_match_between_old_and_new) {
  const embeddings old_query = make({{"a", "x", {1}}, {"b", "y", {2}}}, "old.csv");
  const embeddings reordered = make({{"b", "y", {5}}, {"a", "x", {3}}}, "new.csv");
  EXPECT_NO_THROW(check_same_items(old_query, reordered));
  const embeddings missing = make({{"b", "y", {5}}}, "new.csv");
  try {
    check_same_items(old_query, missing);
    ADD_FAILURE() << "a missing id";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "old.csv");
    EXPECT_EQ(error.line(), 2u);
    EXPECT_NE(error.message().find("\"a\" of old.csv is missing from new.csv"), std::string::npos)
        << error.what();
  }
  const embeddings extra = make({{"b", "y", {5}}, {"a", "x", {3}}, {"c", "y", {1}}}, "new.csv");
  try {
    check_same_items(old_query, extra);
    ADD_FAILURE() << "an extra id";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "new.csv");
    EXPECT_EQ(error.line(), 4u);
    EXPECT_NE(error.message().find("\"c\""), std::string::npos) << error.what();
  }
  const embeddings relabelled = make({{"b", "x", {5}}, {"a", "x", {3}}}, "new.csv");
  try {
    check_same_items(old_query, relabelled);
    ADD_FAILURE() << "a changed label";
  } catch (const input_error& error) {
    EXPECT_EQ(error.line(), 3u);
    EXPECT_NE(error.message().find("new.csv line 2"), std::string::npos) << error.what();
  }
}

TEST(compatibility, criterion_is_strict_improvement_over_old) {
  std::mt19937_64 random(7);
  std::normal_distribution<float> noise(0, 1);
  // Ten classes with centres far apart; the old model adds much noise, the new one less, in the
  // same space: new queries find old gallery items better than old queries do.
  std::vector<row_spec> old_rows, new_rows;
  std::vector<std::vector<float>> centres(10, std::vector<float>(8));
  for (auto& centre : centres)
    for (float& value : centre) value = 2 * noise(random);
  for (int i = 0; i < 300; ++i) {
    const int c = i % 10;
    row_spec old_row{fmt::format("i{}", i), fmt::format("class {}", c), {}};
    row_spec new_row = old_row;
    for (const float value : centres[c]) {
      old_row.values.push_back(value + 1.5f * noise(random));
      new_row.values.push_back(value + 0.3f * noise(random));
    }
    old_rows.push_back(old_row);
    new_rows.push_back(new_row);
  }
  const embeddings old_items = make(old_rows, "old.csv");
  const embeddings new_items = make(new_rows, "new.csv");
  const compatibility_result better =
      evaluate_compatibility(old_items, new_items, old_items, new_items, with_threads(2));
  EXPECT_GT(better.new_old.top1, better.old_old.top1);
  EXPECT_TRUE(better.top1_compatible);
  EXPECT_TRUE(better.map_compatible);
  EXPECT_TRUE(better.compatible());
  EXPECT_GT(better.new_new.mean_average_precision, better.new_old.mean_average_precision);
  // The same embeddings again are no improvement: M(new, old) == M(old, old) fails ">".
  const compatibility_result same =
      evaluate_compatibility(old_items, old_items, old_items, old_items, with_threads(1));
  EXPECT_EQ(same.new_old.top1, same.old_old.top1);
  EXPECT_FALSE(same.compatible());
  // A worse new model fails.
  const compatibility_result worse =
      evaluate_compatibility(new_items, old_items, new_items, old_items, with_threads(1));
  EXPECT_FALSE(worse.top1_compatible);
  EXPECT_FALSE(worse.map_compatible);
}

// Random embeddings: small integer coordinates (many exact ties, several duplicate vectors)
// and continuous ones; gallery sizes around the tile width; some queries also in the gallery.
embeddings random_embeddings(std::mt19937_64& random, std::size_t rows, std::size_t dimension,
                             std::size_t classes, bool integers, const std::string& id_prefix,
                             const std::string& source) {
  std::vector<row_spec> specs;
  std::uniform_int_distribution<int> small(-2, 2);
  std::uniform_int_distribution<std::size_t> label(0, classes - 1);
  std::normal_distribution<float> normal(0, 1);
  for (std::size_t r = 0; r < rows; ++r) {
    row_spec spec{fmt::format("{}{}", id_prefix, r), fmt::format("c{}", label(random)), {}};
    for (std::size_t d = 0; d < dimension; ++d)
      spec.values.push_back(integers ? float(small(random)) : normal(random));
    // No zero vectors: cosine rejects them.
    if (integers) spec.values[0] = r % 3 == 0 ? -1.0f : float(1 + r % 2);
    specs.push_back(std::move(spec));
  }
  return make(specs, source);
}

void expect_same(const retrieval_metrics& fast, const retrieval_metrics& reference) {
  EXPECT_EQ(fast.queries, reference.queries);
  EXPECT_EQ(fast.gallery_items, reference.gallery_items);
  EXPECT_EQ(fast.self_matches, reference.self_matches);
  EXPECT_EQ(fast.top1_hits, reference.top1_hits);
  EXPECT_EQ(fast.queries_without_relevant, reference.queries_without_relevant);
  EXPECT_EQ(fast.nearest, reference.nearest);
  ASSERT_EQ(fast.average_precision.size(), reference.average_precision.size());
  for (std::size_t q = 0; q < fast.average_precision.size(); ++q) {
    if (std::isnan(reference.average_precision[q])) {
      EXPECT_TRUE(std::isnan(fast.average_precision[q])) << "query " << q;
    } else {
      EXPECT_EQ(fast.average_precision[q], reference.average_precision[q]) << "query " << q;
    }
  }
  EXPECT_EQ(fast.top1, reference.top1);
  EXPECT_EQ(fast.chance_top1, reference.chance_top1);
  if (std::isnan(reference.mean_average_precision)) {
    EXPECT_TRUE(std::isnan(fast.mean_average_precision));
  } else {
    EXPECT_EQ(fast.mean_average_precision, reference.mean_average_precision);
  }
}

TEST(retrieval, fast_agrees_exactly_with_reference_on_random_data) {
  std::mt19937_64 random(2024);
  struct shape {
    std::size_t queries, gallery, dimension, classes;
    bool integers;
  };
  const shape shapes[] = {{1, 1, 1, 1, true},      {37, 255, 3, 4, true},   {70, 257, 5, 3, true},
                          {33, 600, 16, 7, false}, {9, 513, 64, 30, false}, {50, 40, 2, 2, true}};
  for (const shape& s : shapes) {
    // Half the queries share ids with gallery rows (self-exclusion), one shape is leave-one-out.
    const embeddings gallery =
        random_embeddings(random, s.gallery, s.dimension, s.classes, s.integers, "i", "g.csv");
    const embeddings query = random_embeddings(random, s.queries, s.dimension, s.classes + 1,
                                               s.integers, s.queries % 2 == 0 ? "i" : "q", "q.csv");
    for (const distance_metric metric : {distance_metric::l2, distance_metric::cosine}) {
      const retrieval_metrics reference =
          detail::evaluate_retrieval_reference(query, gallery, metric);
      for (const unsigned threads : {1u, 2u, 3u}) {
        SCOPED_TRACE(fmt::format("{}x{}x{} {} threads {}", s.queries, s.gallery, s.dimension,
                                 distance_metric_name(metric), threads));
        if (s.gallery == 1 && query.ids[0] == gallery.ids[0]) continue;
        expect_same(evaluate_retrieval(query, gallery, with_threads(threads, metric)), reference);
      }
    }
    // Leave-one-out on the gallery itself.
    if (s.gallery > 1)
      expect_same(evaluate_retrieval(gallery, gallery, with_threads(2)),
                  detail::evaluate_retrieval_reference(gallery, gallery, distance_metric::l2));
  }
}

}  // namespace
}  // namespace frugal::update
