/** Injection token of the agent's image components (createImageComponents). */
export const IMAGE_COMPONENTS = Symbol('IMAGE_COMPONENTS');
