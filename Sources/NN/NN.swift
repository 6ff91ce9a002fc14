// Neural-network layers over Tensor: the Module protocol, parameter paths, and layers.
@_exported import Tensor
