import { apiScenario } from './api';
import { boundariesScenario } from './boundaries';
import { bridgeScenario } from './bridge';
import { dataScenario } from './data';
import { driftScenario } from './drift';
import { facadeScenario } from './facade';
import { mapScenario } from './map';
import { operationsScenario } from './operations';
import { oversellScenario } from './oversell';
import { replayScenario } from './replay';
import { routingScenario } from './routing';
import { sagaScenario } from './saga';
import { syncScenario } from './sync';
import type { DemoScenario } from './types';

/** The reference migration, in the order a team would live it. Each capability adds its scenario here. */
export const scenarios: DemoScenario[] = [
  boundariesScenario,
  bridgeScenario,
  driftScenario,
  sagaScenario,
  oversellScenario,
  mapScenario,
  replayScenario,
  routingScenario,
  dataScenario,
  syncScenario,
  apiScenario,
  facadeScenario,
  operationsScenario,
];
