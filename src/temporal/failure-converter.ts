// Failures carry text: a message ("cannot reach jane@example.com") and a stack
// trace. With encodeCommonAttributes the failure converter moves both into an
// encoded payload, so the codec encrypts them like every other payload and a
// history holds no failure text in clear. Loaded by path (failureConverterPath)
// because it also runs inside the workflow sandbox: keep it free of I/O.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
