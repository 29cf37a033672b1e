import { describeCapture } from './sync-capture-scenario';
import { postgresFixture } from './sync-capture-support';

describeCapture('PostgreSQL', postgresFixture);
