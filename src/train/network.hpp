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

/// Throws input_error unless `data` has the spec's image size, consistent buffers and labels
/// that name one of the spec's dataset classes.
void check_dataset(const model_spec& spec, const image_dataset& data);

/// Images as a float tensor [size, 1, rows, columns], standardised (see trainer.hpp).
torch::Tensor to_input(const image_dataset& data);

/// Sets torch's intra-op threads; 0 = all cores.
void use_threads(unsigned threads);

}  // namespace detail
}  // namespace frugal::train
