import WhittleData
import WhittleNN
import WhittleTensor

/// Knowledge distillation (Hinton et al. 2015): trains the model (the student) on
/// (1 − α)·CE(y, s) + α·T²·KL(softmax(t/T) ‖ softmax(s/T)), the teacher in evaluation mode.
public final class DistillPass: Pass {
    public let name = "distill"
    public let doc = "Trains the model (student) to match a teacher's softened outputs plus the labels (Hinton's loss)."
    public let source = PassSource.builtin
    public let params: [PassParam] = [
        PassParam("teacher", .model, doc: "The trained teacher model (kept in evaluation mode, never updated)."),
        PassParam("data", .dataset, doc: "Training data (inputs and labels)."),
        PassParam("temperature", .number, default: .number(4), min: 0, max: 1000, minExclusive: true, doc: "Softmax temperature T."),
        PassParam("alpha", .number, default: .number(0.9), min: 0, max: 1, doc: "Weight α of the soft-target term; 1 − α goes to the labels."),
    ] + PassTraining.params(epochs: 1, lr: 0.01)

    public init() {}

    public func apply(to model: Model, options: PassOptions, context: PassContext) throws -> PassReport {
        guard let teacher = options.model("teacher"), let data = options.dataset("data") else {
            throw PassError.invalidOption(pass: name, message: "'teacher' and 'data' are required")
        }
        guard teacher !== model else { throw PassError.invalidOption(pass: name, message: "'teacher' must be another model than the student") }
        guard data.count > 0 else { throw PassError.invalidOption(pass: name, message: "'data' is empty") }
        let t = Float(options.number("temperature") ?? 4), alpha = Float(options.number("alpha") ?? 0.9)
        let teacherWasTraining = teacher.root.training
        teacher.setTraining(false)
        defer { teacher.setTraining(teacherWasTraining); teacher.root.clearCache() }
        try checkOutputs(teacher: teacher, student: model, data: data)

        var train = PassTraining.options(options)
        train.progress = PassTraining.epochLogger(name, context)
        train.loss = { student, x, y in try DistillPass.loss(student: student, teacher: try teacher.forward(x), labels: y, temperature: t, alpha: alpha) }
        let result = try WhittleNN.train(model, data, train)
        var report = PassReport(pass: name)
        for (e, loss) in result.epochLoss.enumerated() {
            report.rows.append(.init(target: "epoch \(e + 1)", values: [("loss", .number(Double(loss))), ("seconds", .number(result.epochSeconds[e]))]))
        }
        report.summary = [("temperature", .number(Double(t))), ("alpha", .number(Double(alpha))), ("epochs", .integer(train.epochs))]
        return report
    }

    /// Hinton's combined loss and its gradient wrt the student logits.
    public static func loss(student: Tensor, teacher: Tensor, labels: Tensor, temperature: Float, alpha: Float) throws -> (loss: Float, grad: Tensor) {
        let (ce, gce) = try Loss.crossEntropy(logits: student, labels: labels)
        let (kl, gkl) = try Loss.klDivergence(student: student, teacher: teacher, temperature: temperature)
        let grad = try Tensor(zeros: student.shape)
        let g = grad.floats, a = gce.floats, b = gkl.floats
        for i in 0..<grad.count { g[i] = (1 - alpha) * a[i] + alpha * b[i] }
        return ((1 - alpha) * ce + alpha * kl, grad)
    }

    /// Runs both models on two samples so that different output sizes fail before any training.
    private func checkOutputs(teacher: Model, student: Model, data: Dataset) throws {
        let sample = try data.take(2)
        let x = sample.images
        let to: Tensor, so: Tensor
        do { to = try teacher.forward(x) } catch { throw PassError.invalidOption(pass: name, message: "'teacher' cannot run on the data: \(error)") }
        do { so = try student.forward(x) } catch { throw PassError.invalidOption(pass: name, message: "the student cannot run on the data: \(error)") }
        student.root.clearCache()
        guard to.shape == so.shape else {
            throw PassError.invalidOption(pass: name, message: "'teacher' outputs \(shapeString(Array(to.shape.dropFirst()))) per sample but the student outputs \(shapeString(Array(so.shape.dropFirst()))); they must match")
        }
    }
}
