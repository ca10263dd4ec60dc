#!/usr/bin/python3
"""Baseline for bench/train_throughput.sh: frugal's `mlp` (or, with --model cnn, its `cnn`) trained in Debian's python3-torch.

Replicates src/train/models.cpp and src/train/trainer.cpp (commit 868eff3):
  - input: 28x28 uint8 pixels / 255, standardised with mean 0.2860 and sd 0.3530, shape N x 1 x 28 x 28
  - network: Flatten, Linear(784, h1), ReLU, Linear(h1, h2), ReLU, ..., Linear(h_last, 10)
    (torch default initialisation, after torch.manual_seed(seed)); with --model cnn:
    Conv2d(1, 16, 3, padding 1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, padding 1), ReLU,
    MaxPool2d(2), Flatten, Linear(32 * 7 * 7, 10) (src/train/models.cpp, `cnn`)
  - Adam, learning rate 1e-3, torch defaults otherwise (betas 0.9/0.999, eps 1e-8, no weight decay)
  - mean softmax cross-entropy, mini-batches of 64 from a fresh shuffle each epoch, selected
    with index_select from the whole input tensor; the last batch may be short
  - loss.item() after every step (frugal reads it for its progress line)
  - torch.set_num_threads(threads)

Timed region, as frugal's `training_seconds` (apps/frugal/train_command.cpp times the whole
train_model call): from the raw uint8 arrays already in memory, through the conversion to
standardised floats, building the network and optimizer, to the end of the last epoch. The gzip
reading and parsing of the IDX files is excluded in both. Test accuracy is computed afterwards,
untimed, in batches of 1000 without gradients.

Prints one JSON object: training_seconds, images_per_second (epochs x training images / seconds),
test_accuracy, torch version and threads.
"""
import argparse
import gzip
import json
import sys
import time

import numpy as np
import torch

MEAN = 0.2860
STANDARD_DEVIATION = 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    if magic >> 8 != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    array = np.frombuffer(bytearray(data), dtype=np.uint8, offset=4 + 4 * dims)
    return array.reshape(shape)


def to_input(pixels):
    # N x 28 x 28 uint8 -> N x 1 x 28 x 28 float32, standardised (frugal's detail::to_input).
    tensor = torch.from_numpy(pixels).unsqueeze(1)
    return tensor.to(torch.float32).div_(255.0).sub_(MEAN).div_(STANDARD_DEVIATION)


def build_cnn(rows=28, columns=28, outputs=10):
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * (rows // 4) * (columns // 4), outputs))


def build_network(hidden, rows=28, columns=28, outputs=10):
    layers = [torch.nn.Flatten()]
    inputs = rows * columns
    for width in hidden:
        layers += [torch.nn.Linear(inputs, width), torch.nn.ReLU()]
        inputs = width
    layers.append(torch.nn.Linear(inputs, outputs))
    return torch.nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--hidden", default="256,128")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    hidden = [int(w) for w in args.hidden.split(",")]

    torch.set_num_threads(args.threads)
    d = args.data_dir
    train_pixels = read_idx(f"{d}/train-images-idx3-ubyte.gz")
    train_labels = read_idx(f"{d}/train-labels-idx1-ubyte.gz")
    test_pixels = read_idx(f"{d}/t10k-images-idx3-ubyte.gz")
    test_labels = read_idx(f"{d}/t10k-labels-idx1-ubyte.gz")
    count = len(train_labels)
    shuffles = np.random.default_rng(args.seed)

    started = time.perf_counter()
    inputs = to_input(train_pixels)
    targets = torch.from_numpy(train_labels.astype(np.int64))
    torch.manual_seed(args.seed)
    network = build_cnn() if args.model == "cnn" else build_network(hidden)
    optimizer = torch.optim.Adam(network.parameters(), lr=args.learning_rate)
    network.train()
    loss_sum = 0.0
    for _ in range(args.epochs):
        order = torch.from_numpy(shuffles.permutation(count).astype(np.int64))
        loss_sum = 0.0
        for first in range(0, count, args.batch_size):
            batch = order[first:first + args.batch_size]
            optimizer.zero_grad()
            logits = network(inputs.index_select(0, batch))
            loss = torch.nn.functional.cross_entropy(logits, targets.index_select(0, batch))
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(batch)
    seconds = time.perf_counter() - started

    network.eval()
    correct = 0
    with torch.no_grad():
        test_inputs = to_input(test_pixels)
        test_targets = torch.from_numpy(test_labels.astype(np.int64))
        for first in range(0, len(test_labels), 1000):
            logits = network(test_inputs[first:first + 1000])
            correct += int((logits.argmax(1) == test_targets[first:first + 1000]).sum())
    print(json.dumps({
        "torch": torch.__version__,
        "model": args.model,
        "threads": torch.get_num_threads(),
        "epochs": args.epochs,
        "training_images": count,
        "training_seconds": seconds,
        "images_per_second": args.epochs * count / seconds,
        "last_epoch_mean_loss": loss_sum / count,
        "test_accuracy": correct / len(test_labels),
    }))


if __name__ == "__main__":
    main()
