import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { API_OUTPUTS } from '../../lib/stacks/api-stack';
import { sdkConfig } from './harness';
import type { OutputKey } from '../../core/contract';

/*
 * Shared by the api e2e test and the demo: where a generated API answers on the emulator, and an ID token
 * of a fresh user of its Cognito pool (signed in through the construct's app client).
 */
type Outputs = (key: OutputKey) => string;

/** MiniStack serves a REST API at /_aws/execute-api/<apiId>/<stage> (the stack's URL output does not resolve there). */
export function apiBase(endpoint: string, output: Outputs, service: string): string {
  return `${endpoint}/_aws/execute-api/${output(`${API_OUTPUTS.idPrefix}${service}`)}/${output(API_OUTPUTS.stage)}`;
}

export async function signIn(endpoint: string, output: Outputs, service: string, user: string): Promise<string> {
  const cognito = new CognitoIdentityProviderClient(sdkConfig(endpoint));
  const UserPoolId = output(`${API_OUTPUTS.userPoolPrefix}${service}`);
  const ClientId = output(`${API_OUTPUTS.userPoolClientPrefix}${service}`);
  const Username = `${user}@example.com`;
  const Password = 'E2e-password-1!';
  try {
    await cognito.send(
      new AdminCreateUserCommand({ UserPoolId, Username, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: Username }] }),
    );
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username, Password, Permanent: true }));
    const auth = await cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId,
        ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: Username, PASSWORD: Password },
      }),
    );
    const token = auth.AuthenticationResult?.IdToken;
    if (!token) throw new Error(`no ID token for ${Username} in pool ${UserPoolId}`);
    return token;
  } finally {
    cognito.destroy();
  }
}
