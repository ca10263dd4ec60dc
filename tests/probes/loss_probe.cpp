// frugal_loss_probe: evaluates one of frugal's update losses (src/train/update_losses.hpp) on
// inputs given as JSON, and prints the loss and its gradient with respect to the new logits.
// The Python package's tests (python/tests/test_losses.py) run it to check that the PyTorch
// losses of frugal.losses compute the same numbers as the C++ ones.
//
//   frugal_loss_probe INPUT.json
// INPUT.json holds an array of requests (one process evaluates them all: starting LibTorch costs
// about a second), each
//   {"loss": "focal-distillation" | "distillation" | "logit-inhibition",
//    "dtype": "float64" | "float32", "new_logits": [[...], ...], "old_logits": [[...], ...],
//    "labels": [...], "alpha": 1, "beta": 5, "temperature": 100, "distance": "kl" | "logit",
//    "filter": "none" | "old-correct" | "negative-flip", "weight": 0.9, "margin": 0.5,
//    "power": 2}
// and it prints an array of {"loss": x, "gradient": [[...], ...]}, one per request; a missing key
// takes the C++ default.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "frugal/error.hpp"
#include "train/update_losses.hpp"

namespace {

torch::Tensor matrix_of(const nlohmann::json& rows, torch::Dtype dtype) {
  std::vector<double> flat;
  for (const auto& row : rows)
    for (const auto& value : row) flat.push_back(value.get<double>());
  const auto count = static_cast<std::int64_t>(rows.size());
  return torch::tensor(flat, torch::kFloat64)
      .reshape({count, count == 0 ? 0 : static_cast<std::int64_t>(flat.size()) / count})
      .to(dtype);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace frugal::train;
  if (argc != 2) {
    std::fprintf(stderr, "usage: frugal_loss_probe INPUT.json\n");
    return 2;
  }
  try {
    std::ifstream file(argv[1]);
    const nlohmann::json requests = nlohmann::json::parse(file);
    nlohmann::json outputs = nlohmann::json::array();
    for (const nlohmann::json& input : requests) {
      const torch::Dtype dtype = input.value("dtype", std::string("float64")) == "float32"
                                     ? torch::kFloat32
                                     : torch::kFloat64;
      torch::Tensor new_logits = matrix_of(input.at("new_logits"), dtype).requires_grad_(true);
      const torch::Tensor old_logits = matrix_of(input.at("old_logits"), dtype);
      const torch::Tensor labels =
          torch::tensor(input.at("labels").get<std::vector<std::int64_t>>(), torch::kInt64);
      const std::string loss = input.at("loss").get<std::string>();
      torch::Tensor value;
      if (loss == "logit-inhibition") {
        logit_inhibition_settings settings;
        settings.margin = input.value("margin", settings.margin);
        settings.power = input.value("power", settings.power);
        settings.weight = input.value("weight", settings.weight);
        value =
            frugal::train::detail::logit_inhibition_loss(new_logits, old_logits, labels, settings);
      } else {
        focal_distillation_settings settings;
        settings.alpha = input.value("alpha", settings.alpha);
        settings.beta = loss == "distillation" ? 0.0 : input.value("beta", settings.beta);
        settings.temperature = input.value("temperature", settings.temperature);
        settings.weight = input.value("weight", settings.weight);
        settings.distance =
            *parse_distillation_distance(input.value("distance", std::string("kl")));
        settings.filter = *parse_distillation_filter(input.value("filter", std::string("none")));
        value = frugal::train::detail::focal_distillation_loss(new_logits, old_logits, labels,
                                                               settings);
      }
      value.backward();
      const torch::Tensor gradient = new_logits.grad().to(torch::kFloat64).contiguous();
      nlohmann::json output;
      output["loss"] = value.to(torch::kFloat64).item<double>();
      nlohmann::json rows = nlohmann::json::array();
      for (std::int64_t i = 0; i < gradient.size(0); ++i) {
        nlohmann::json row = nlohmann::json::array();
        for (std::int64_t c = 0; c < gradient.size(1); ++c)
          row.push_back(gradient.index({i, c}).item<double>());
        rows.push_back(row);
      }
      output["gradient"] = rows;
      outputs.push_back(output);
    }
    std::cout << outputs.dump() << '\n';
    return 0;
  } catch (const frugal::input_error& error) {
    std::fprintf(stderr, "frugal_loss_probe: %s\n", error.what());
    return 3;
  }
}
