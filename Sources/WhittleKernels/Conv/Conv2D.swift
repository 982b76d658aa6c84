import CKernels

/// Geometry of a 2-D convolution or pooling window over NCHW data.
public struct ConvGeometry: Equatable, Sendable {
    /// Input channels, height and width.
    public var channels: Int, height: Int, width: Int
    /// Window height and width.
    public var kernelH: Int, kernelW: Int
    /// Step between windows, and zero padding on each side.
    public var stride: Int, padding: Int
    /// Output height.
    public var outH: Int { (height + 2 * padding - kernelH) / stride + 1 }
    /// Output width.
    public var outW: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Rows of the im2col matrix (channels * kernelH * kernelW).
    public var patchSize: Int { channels * kernelH * kernelW }
    /// Describes a window; callers validate that the output is non-empty.
    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, stride: Int = 1, padding: Int = 0) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.stride = stride; self.padding = padding
    }
}

/// Convolution by im2col + GEMM on NCHW tensors (one image = C x H x W, row-major).
public enum Conv2D {
    /// Unfolds one image into a (patchSize x outH*outW) matrix: row (c, ky, kx), column (oy, ox)
    /// holds image[c][oy*stride + ky - pad][ox*stride + kx - pad], 0 outside the image.
    public static func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into col: UnsafeMutablePointer<Float>) {
        // In C (CKernels/conv.c): row runs become memcpy/memset, which the conv benchmark needed.
        ck_im2col(image, g.channels, g.height, g.width, g.kernelH, g.kernelW, g.stride, g.padding, g.outH, g.outW, col)
    }

    /// The adjoint of im2col: adds each column entry back into its image position (for input gradients).
    /// `image` is accumulated into, so zero it first for a plain fold.
    public static func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, into image: UnsafeMutablePointer<Float>) {
        let oh = g.outH, ow = g.outW
        for c in 0..<g.channels {
            for ky in 0..<g.kernelH {
                for kx in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + ky) * g.kernelW + kx) * oh * ow
                    for oy in 0..<oh {
                        let iy = oy * g.stride + ky - g.padding
                        if iy < 0 || iy >= g.height { continue }
                        let dst = image + (c * g.height + iy) * g.width
                        for ox in 0..<ow {
                            let ix = ox * g.stride + kx - g.padding
                            if ix >= 0 && ix < g.width { dst[ix] += row[oy * ow + ox] }
                        }
                    }
                }
            }
        }
    }

    /// output (N x outChannels x outH x outW) = conv(input (N x C x H x W), weight (outChannels x C x kH x kW)) + bias.
    /// The GEMM's B panels are packed straight from a zero-padded copy of each image (CKernels/conv.c),
    /// so the im2col matrix is never written out; threads split each image's output positions.
    public static func forward(input: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry,
                               weight: UnsafePointer<Float>, outChannels: Int, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>) {
        let spatial = g.outH * g.outW, inSize = g.channels * g.height * g.width
        let hp = g.height + 2 * g.padding, wp = g.width + 2 * g.padding
        let isa = KernelISA.active.rawValue, nr = Int(ck_sgemm_nr(isa))
        if batch == 0 || outChannels == 0 || spatial == 0 { return }
        withScratch(ck_conv_packed_weights_count(isa, outChannels, g.patchSize)) { ap in
            ck_conv_pack_weights(isa, weight, outChannels, g.patchSize, ap)
            withScratch(g.channels * hp * wp) { padded in
                for b in 0..<batch {
                    let out = output + b * outChannels * spatial
                    ck_conv_pad(input + b * inSize, g.channels, g.height, g.width, g.padding, padded)
                    if let bias {
                        for o in 0..<outChannels { (out + o * spatial).update(repeating: bias[o], count: spatial) }
                    }
                    let beta: Float = bias == nil ? 0 : 1
                    let work = outChannels * spatial * g.patchSize
                    let panels = (spatial + nr - 1) / nr
                    let chunks = work < GEMM.parallelThreshold ? 1 : min(KernelThreads.count, panels)
                    let done = ConvChunkFlags(chunks)
                    KernelThreads.parallelFor(chunks) { t in
                        let j0 = min(spatial, panels * t / chunks * nr), j1 = min(spatial, panels * (t + 1) / chunks * nr)
                        if j0 < j1 {
                            done.set(t, ck_conv_gemm(isa, padded, g.channels, hp, wp, g.kernelH, g.kernelW, g.stride, g.outW,
                                                     ap, outChannels, j0, j1, out, spatial, beta) != 0)
                        } else {
                            done.set(t, true)
                        }
                    }
                    // Out of scratch memory in C: the im2col + GEMM path, which allocates in Swift.
                    if !done.all { forwardIm2col(image: input + b * inSize, g, weight: weight, outChannels: outChannels, bias: bias, output: out) }
                }
            }
        }
    }

    /// One image by im2col + GEMM.sgemm (the fallback, and the plain statement of what forward computes).
    static func forwardIm2col(image: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, outChannels: Int,
                              bias: UnsafePointer<Float>?, output out: UnsafeMutablePointer<Float>) {
        let spatial = g.outH * g.outW
        withScratch(g.patchSize * spatial) { col in
            im2col(image, g, into: col)
            if let bias {
                for o in 0..<outChannels { (out + o * spatial).update(repeating: bias[o], count: spatial) }
            }
            GEMM.sgemm(m: outChannels, n: spatial, k: g.patchSize, a: weight, lda: g.patchSize,
                       b: col, ldb: spatial, c: out, ldc: spatial, beta: bias == nil ? 0 : 1)
        }
    }
}

/// Per-chunk success flags written by the conv threads (each writes only its own slot).
final class ConvChunkFlags: @unchecked Sendable {
    private let flags: UnsafeMutablePointer<Bool>
    private let count: Int
    init(_ count: Int) {
        self.count = count
        flags = .allocate(capacity: max(count, 1))
        flags.initialize(repeating: false, count: max(count, 1))
    }
    deinit { flags.deallocate() }
    func set(_ i: Int, _ v: Bool) { flags[i] = v }
    var all: Bool { (0..<count).allSatisfy { flags[$0] } }
}

/// Pooling kernels on NCHW tensors.
public enum Pool {
    /// Max over each window (padding counts as -infinity); `argmax` (optional) receives the flat
    /// index within the input plane (iy*W + ix) of each maximum, for the backward pass.
    /// input: planes (N*C) of H x W; output: planes of outH x outW.
    public static func maxpool2d(_ input: UnsafePointer<Float>, planes: Int, _ g: ConvGeometry,
                                 output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?) {
        let oh = g.outH, ow = g.outW, plane = g.height * g.width
        for p in 0..<planes {
            let src = input + p * plane, dst = output + p * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity, at = -1
                    for ky in 0..<g.kernelH {
                        let iy = oy * g.stride + ky - g.padding
                        if iy < 0 || iy >= g.height { continue }
                        for kx in 0..<g.kernelW {
                            let ix = ox * g.stride + kx - g.padding
                            if ix < 0 || ix >= g.width { continue }
                            let v = src[iy * g.width + ix]
                            if v > best || at < 0 { best = v; at = iy * g.width + ix }
                        }
                    }
                    dst[oy * ow + ox] = best
                    argmax?[p * oh * ow + oy * ow + ox] = Int32(at)
                }
            }
        }
    }

    /// Routes each output gradient to its window's maximum (accumulating into gradInput, which the caller zeroes).
    public static func maxpool2dBackward(gradOutput: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, planes: Int,
                                         _ g: ConvGeometry, gradInput: UnsafeMutablePointer<Float>) {
        let outPlane = g.outH * g.outW, plane = g.height * g.width
        for p in 0..<planes {
            for o in 0..<outPlane {
                let at = Int(argmax[p * outPlane + o])
                if at >= 0 { gradInput[p * plane + at] += gradOutput[p * outPlane + o] }
            }
        }
    }
}
