export { buildThreatModelSection } from './register.js';
export { acceptedRiskSuppressions, defaultThreatModel, loadThreatModelFile, resolveThreatModel, threatModelAttributes } from './model.js';
export { summariseBaseline } from './baseline.js';
export { renderThreatSummaryMarkdown } from './markdown.js';
export { runInit, starterModelYaml } from './init.js';
export { exposureAttributes } from './exposure.js';
export { riskFormula, scoreRisk } from './risk.js';
export type { LoadedThreatModel, ThreatModel, ThreatModelSection } from './types.js';
