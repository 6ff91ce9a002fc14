// Optimizers, schedules, losses, the trainer, its hooks and checkpoints.
@_exported import Models
