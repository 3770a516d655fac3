import { num, type NumberSpec } from "../../options.js";

/** A TF.js hyperparameter: TF.js takes any number, so only finiteness is asked of it. */
export const anyNumber = (name: string, dflt?: number): NumberSpec => num(name, dflt, -Infinity);
