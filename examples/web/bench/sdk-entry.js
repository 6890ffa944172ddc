export * from '@vae/sdk';
