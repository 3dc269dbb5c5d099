// The worker's workflow bundle entry point: every workflow the platform runs.
export { systemCheckWorkflow } from './systemCheck';
export { registrationWorkflow } from './registration';
export { caseWorkflow, caseWorkflowV2, caseWorkflowV3, caseWorkflowV4 } from './case';
export { passwordResetWorkflow } from './passwordReset';
export { identityConfirmationWorkflow } from './identityConfirmation';
export { mfaEmailCodeWorkflow } from './mfaEmailCode';
export { mirrorAuditWorkflow } from './mirrorAudit';
