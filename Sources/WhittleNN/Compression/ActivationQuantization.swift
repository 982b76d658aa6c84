import Foundation
import WhittleTensor

/// Static int8 quantization of a layer's input, fixed from calibration data:
/// q = clamp(round(x / scale) + zeroPoint, -128, 127), x ≈ scale · (q - zeroPoint).
public struct ActivationQuantization: Equatable {
    /// Step between representable values.
    public let scale: Float
    /// The int8 code standing for 0 (0 when symmetric).
    public let zeroPoint: Int
    /// The calibrated range the scale covers.
    public let low: Float
    /// Upper end of the calibrated range.
    public let high: Float

    /// The int8 quantization covering [low, high] (widened to contain 0), symmetric or affine.
    public init(low: Float, high: Float, symmetric: Bool) throws {
        (scale, zeroPoint) = try Int8Encoding.int8Parameters(low: low, high: high, symmetric: symmetric)
        self.low = min(low, 0); self.high = max(high, 0)
    }

    /// Rebuilds a stored quantization (scale > 0, zero point in int8 range).
    public init(scale: Float, zeroPoint: Int, low: Float, high: Float) throws {
        guard scale.isFinite, scale > 0, (-128...127).contains(zeroPoint), low.isFinite, high.isFinite else {
            throw NNError.invalidModel("activation quantization needs a positive finite scale and a zero point in [-128, 127]")
        }
        self.scale = scale; self.zeroPoint = zeroPoint; self.low = low; self.high = high
    }

    /// The int8 code of x.
    @inline(__always) public func quantize(_ x: Float) -> Int8 {
        let q = (x / scale).rounded(.toNearestOrAwayFromZero) + Float(zeroPoint)
        return Int8(max(-128, min(127, q.isNaN ? 0 : q)))
    }

    /// The value x rounds to (fake quantization).
    @inline(__always) public func roundTrip(_ x: Float) -> Float { scale * Float(Int(quantize(x)) - zeroPoint) }

    /// Metadata fields.
    var json: [String: Any] { ["scale": Double(scale), "zero_point": zeroPoint, "low": Double(low), "high": Double(high)] }

    /// Parses `json`'s fields.
    static func parse(_ v: Any?, layer: String) throws -> ActivationQuantization {
        guard let d = v as? [String: Any], let s = (d["scale"] as? NSNumber)?.floatValue, let z = jsonInt(d["zero_point"]),
              let lo = (d["low"] as? NSNumber)?.floatValue, let hi = (d["high"] as? NSNumber)?.floatValue else {
            throw NNError.invalidModel("activation quantization of layer '\(layer)' needs numeric scale, zero_point, low and high")
        }
        return try ActivationQuantization(scale: s, zeroPoint: z, low: lo, high: hi)
    }
}
