// Attention snapshots as a trainer hook: a fixed set of validation images (the probes) is run
// after every evaluation, and its CLS maps, rollout, entropy and distance are appended to the
// run's attention record, so `vittrain report` can show attention forming epoch by epoch. On the
// synthetic dataset the rollout is also scored against the object masks.

import Data
import FileFormats
import Foundation
import Interpret
import Models
import Training

final class AttentionSnapshotHook: TrainerHook {
    private let record: AttentionRecord
    private let inputs: Tensor
    private let masks: [[UInt8]]?
    private let maskSize: (height: Int, width: Int)
    private let fullMaps: Bool
    private let log: (String) -> Void

    /// Opens the run's record, or creates it with the first `count` validation images.
    init(setup: RunSetup, count: Int, fullMaps: Bool, log: @escaping (String) -> Void) throws {
        let dataset = setup.valSet
        let indices = Array(0..<min(count, dataset.count))
        // The probes go through the validation loader (resize, channels, normalisation), as in eval.
        inputs = try setup.valLoader.makeBatch(indices: indices, epoch: 0).images
        let byteMasks = indices.compactMap { dataset.mask(at: $0).map(MaskScore.byteMask) }
        masks = byteMasks.count == indices.count && !byteMasks.isEmpty ? byteMasks : nil
        maskSize = (dataset.height, dataset.width)
        self.fullMaps = fullMaps
        self.log = log
        let path = (setup.runDirectory as NSString).appendingPathComponent(AttentionRecord.defaultFileName)
        if FileManager.default.fileExists(atPath: path) {
            record = try AttentionRecord.open(path)
            return
        }
        var probes: [RGBImage] = []
        var labels: [Int] = []
        for index in indices {
            let (pixels, label) = try dataset.sample(at: index)
            probes.append(try Overlay.image(chw: pixels, channels: dataset.channels, height: dataset.height, width: dataset.width))
            labels.append(label)
        }
        let model = setup.model
        record = try AttentionRecord.create(at: path, probes: probes, labels: labels, masks: masks,
                                            classNames: dataset.classNames,
                                            gridHeight: model.gridSize.height, gridWidth: model.gridSize.width,
                                            layers: model.config.depth, heads: model.config.numHeads)
    }

    func evalEnded(_ trainer: Trainer, epoch: Int, _ metrics: EvalMetrics) throws {
        let captured = try ModelCapture.run(trainer.model, images: inputs)
        let snapshot = try captured.snapshot()
        try record.append(epoch: epoch, snapshot: snapshot, fullMaps: fullMaps ? captured.attentions : nil)
        if let masks {
            // Two rollouts: Abnar & Zuidema's (mean over heads), and the sharper variant that
            // vit-explain recommends (max over heads, the lowest 90% of patch links dropped).
            func score(_ rollout: Tensor) throws -> Float {
                try MaskScore.scores(rollout: rollout, masks: masks, maskHeight: maskSize.height, maskWidth: maskSize.width,
                                     gridHeight: captured.gridHeight, gridWidth: captured.gridWidth).mean
            }
            let sharp = try AttentionRollout(fusion: .max, discardRatio: 0.9).clsMap(captured.attentions, layout: captured.layout)
            log(String(format: "epoch %d: rollout puts %.2f× (mean fusion) and %.2f× (max fusion, discard 0.9) the chance share of attention on the objects of %d probe images",
                       epoch, try score(snapshot.rollout), try score(sharp), masks.count))
        }
    }
}
