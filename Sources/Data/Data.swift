// Datasets, augmentation and the batch loader.
@_exported import Tensor
