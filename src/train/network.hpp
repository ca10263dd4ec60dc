#pragma once
// The LibTorch side of frugal::train::model, shared by models.cpp and trainer.cpp only: the two
// translation units that pay for <torch/torch.h>.

#include <torch/torch.h>

#include "frugal/train/datasets.hpp"
#include "frugal/train/trainer.hpp"

namespace frugal::train {

struct model::impl {
  model_spec spec;
  torch::nn::Sequential network;
};

namespace detail {

/// The layers of a spec, freshly initialised from torch's global generator.
torch::nn::Sequential build_network(const model_spec& spec);

/// The output of every layer but the head: the embedding when spec.embedding_dim > 0, else the
/// last hidden layer's activations.
torch::Tensor embedding_of(torch::nn::Sequential& network, torch::Tensor input);

/// The classifier head: the network's last layer, always a Linear.
torch::nn::Linear head_of(torch::nn::Sequential& network);

/// Throws input_error unless `data` has the spec's image size, consistent buffers and labels
/// that name one of the spec's dataset classes.
void check_dataset(const model_spec& spec, const image_dataset& data);

/// Images as a float tensor [size, 1, rows, columns], standardised (see trainer.hpp).
torch::Tensor to_input(const image_dataset& data);

/// Throws input_error unless the table's feature columns are the spec's (a feature model).
void check_features(const model_spec& spec, const feature_table& data);

/// The dataset class of each row's label; an unknown label is an input_error naming file:line.
std::vector<std::uint32_t> table_labels(const model_spec& spec, const feature_table& data);

/// Features as a float tensor [size, features], standardised with the spec's means and scales.
torch::Tensor to_input(const model_spec& spec, const feature_table& data);

/// Sets torch's intra-op threads; 0 = all cores.
void use_threads(unsigned threads);

}  // namespace detail
}  // namespace frugal::train
