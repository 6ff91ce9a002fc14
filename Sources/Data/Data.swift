// The Data module: datasets (CIFAR-10, Fashion-MNIST, PNG folders, HDF5 arrays, synthetic shapes),
// augmentation and the background batch loader. Re-exports Tensor so callers get `Tensor` and `RandomGenerator`.
@_exported import Tensor
