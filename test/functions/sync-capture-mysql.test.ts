import { describeCapture } from './sync-capture-scenario';
import { mysqlFixture } from './sync-capture-support';

describeCapture('MariaDB', mysqlFixture);
