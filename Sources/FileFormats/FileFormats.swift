// Readers and writers for the files vittrain speaks: HDF5, PNG and safetensors.
