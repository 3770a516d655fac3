// Learning-rate schedulers with PyTorch 1.13's semantics (torch.optim.lr_scheduler).
export type { SchedulableGroup, SchedulableOptimizer, SchedulerStateDict } from "./base.js";
export { Scheduler } from "./base.js";
export { LRScheduler } from "./lr-scheduler.js";
export { StepLR, MultiStepLR, type StepLROptions, type MultiStepLROptions } from "./step.js";
export { ConstantLR, LinearLR, type ConstantLROptions, type LinearLROptions } from "./factor.js";
export { ExponentialLR, type ExponentialLROptions } from "./exponential.js";
export { PolynomialLR, type PolynomialLROptions } from "./polynomial.js";
export {
  CosineAnnealingLR, CosineAnnealingWarmRestarts,
  type CosineAnnealingLROptions, type CosineAnnealingWarmRestartsOptions,
} from "./cosine.js";
export { OneCycleLR, type OneCycleLROptions } from "./one-cycle.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./plateau.js";
export { SequentialLR, type SequentialLROptions } from "./sequential.js";
export {
  LambdaLR, MultiplicativeLR, type LrLambda, type LambdaLROptions, type MultiplicativeLROptions,
} from "./lambda.js";
