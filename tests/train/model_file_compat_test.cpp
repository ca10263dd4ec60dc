// Model files saved by older builds must keep loading and predicting the same logits: the two
// files in tests/data were written before the embedding layer changed how networks are built
// (file versions 1 and 2), with the scores those builds printed.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frugal/train/datasets.hpp"
#include "frugal/train/trainer.hpp"

namespace frugal::train {
namespace {

std::string data_file(const std::string& name) {
  return std::string(FRUGAL_TEST_DATA_DIR) + "/" + name;
}

// The rows of a scores file (`id,prediction,score_<class>...`): the logits of each row.
std::vector<std::vector<float>> read_scores(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<float>> rows;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string field;
    std::getline(fields, field, ',');  // id
    std::getline(fields, field, ',');  // prediction
    std::vector<float> logits;
    while (std::getline(fields, field, ',')) logits.push_back(std::stof(field));
    rows.push_back(logits);
  }
  return rows;
}

TEST(model_file_compat, version_1_image_model_loads_and_reproduces_its_scores) {
  const model old = model::load(data_file("model_v1_linear.pt"));
  EXPECT_EQ(old.spec().kind, model_kind::linear);
  EXPECT_EQ(old.spec().embedding_dim, 0u);
  const std::vector<std::vector<float>> expected =
      read_scores(data_file("model_v1_linear_scores.csv"));
  ASSERT_EQ(expected.size(), 5u);
  const class_scores scores = predict(old, load_fashion_mnist("test"), 1);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(expected[i].size(), 10u);
    for (std::size_t c = 0; c < 10; ++c)
      EXPECT_EQ(scores.logits[i * 10 + c], expected[i][c]) << "row " << i << " class " << c;
  }
}

TEST(model_file_compat, version_2_feature_model_loads_and_reproduces_its_scores) {
  const model old = model::load(data_file("model_v2_features.pt"));
  EXPECT_EQ(old.spec().kind, model_kind::mlp);
  EXPECT_EQ(old.spec().feature_names, (std::vector<std::string>{"x", "y", "z"}));
  const std::vector<std::vector<float>> expected =
      read_scores(data_file("model_v2_features_scores.csv"));
  ASSERT_EQ(expected.size(), 9u);
  const class_scores scores =
      predict(old, read_feature_table(data_file("model_v2_features_test.csv")), 1);
  for (std::size_t i = 0; i < expected.size(); ++i)
    for (std::size_t c = 0; c < 3; ++c)
      EXPECT_EQ(scores.logits[i * 3 + c], expected[i][c]) << "row " << i << " class " << c;
}

}  // namespace
}  // namespace frugal::train
