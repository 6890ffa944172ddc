/**
 * The WebGPU prerequisites check that decides whether the parity tests can run
 * (missing prerequisites fail them unless VAE_SKIP_WEBGPU_TESTS=1).
 */
import { describe, expect, it } from 'vitest';
import { hasVulkanLoader, SWIFTSHADER_ICD, webgpuUnavailableReason } from './harness.js';

describe('webgpuUnavailableReason', () => {
  it('names a missing SwiftShader ICD and a missing Vulkan loader, with the Debian packages to install', () => {
    expect(webgpuUnavailableReason('/nonexistent/vk_swiftshader_icd.json', true)).toMatch(/vk_swiftshader_icd.json is missing \(apt-get install chromium/);
    expect(webgpuUnavailableReason(SWIFTSHADER_ICD, false)).toMatch(/libvulkan.so.1 is missing \(apt-get install libvulkan1\)/);
    expect(webgpuUnavailableReason('/nonexistent/icd.json', false)).toMatch(/chromium.*; .*libvulkan1/);
  });

  it.skipIf(process.env.VAE_SKIP_WEBGPU_TESTS === '1')('finds this machine ready (CI installs chromium and libvulkan1; set VAE_SKIP_WEBGPU_TESTS=1 elsewhere)', () => {
    expect(hasVulkanLoader()).toBe(true);
    expect(webgpuUnavailableReason()).toBeNull();
  });
});
