import { describeCapture } from './sync-capture-scenario';
import { pgliteFixture } from './sync-capture-support';

describeCapture('PGlite', pgliteFixture);
